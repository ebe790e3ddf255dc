-- HubSpot keeps one contact per e-mail address (_shared.sql): a CRM contact whose address is
-- a lead's is that lead's contact with a company; the other CRM contacts are contacts of
-- their own.
select
    l._day,
    l.lead_id as id,
    false as _fivetran_deleted,
    l.email as property_email,
    l.company_name as property_company,
    l.first_name as property_firstname,
    l.last_name as property_lastname,
    l.job_title as property_jobtitle,
    l.phone as property_phone,
    l.department as property_department,
    strftime(l.created_at, '%Y-%m-%dT%H:%M:%SZ') as property_createdate,
    strftime(l.updated_at, '%Y-%m-%dT%H:%M:%SZ') as property_lastmodifieddate,
    c.account_id as property_associatedcompanyid,
    case l.lead_source
        when 'event' then 'EVENT'
        when 'import' then 'OFFLINE'
        when 'business_card' then 'OFFLINE'
        else 'ORGANIC_SEARCH'
    end as property_hs_analytics_source,
    l.opt_out as property_hs_email_optout,
    null as property_hs_buying_role
from ma_leads as l
left join hubspot_company_of_lead as c on l.lead_id = c.lead_id
union all
select
    _day,
    contact_id as id,
    false as _fivetran_deleted,
    email as property_email,
    null as property_company,
    first_name as property_firstname,
    last_name as property_lastname,
    title as property_jobtitle,
    null as property_phone,
    department as property_department,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') as property_createdate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') as property_lastmodifieddate,
    account_id as property_associatedcompanyid,
    null as property_hs_analytics_source,
    null as property_hs_email_optout,
    case buying_role
        when 'economic_buyer' then 'BUDGET_HOLDER'
        when 'user' then 'END_USER'
        else upper(buying_role)
    end as property_hs_buying_role
from hubspot_merged_crm_contacts
where merged_into is null
