-- The Contacts export. HubSpot keeps one contact per e-mail address: a CRM contact whose
-- address is a lead's is that lead's contact with a company (the hubspot_fivetran writer's
-- rule, in its _shared.sql); the other CRM contacts are contacts of their own, created
-- when first recorded.
with contacts as (
    select
        l._day,
        l.lead_id as id,
        l.first_name,
        l.last_name,
        l.email,
        l.phone,
        l.company_name,
        l.job_title,
        l.department,
        l.created_at,
        l.updated_at,
        case l.lead_source
            when 'web_form' then 'Organic Search'
            when 'event' then 'Offline Sources'
            when 'import' then 'Offline Sources'
            when 'business_card' then 'Offline Sources'
        end as original_source,
        case l.lead_source
            when 'event' then 'Event'
            when 'import' then 'IMPORT'
            when 'business_card' then 'CRM_UI'
        end as drill_down,
        l.opt_out,
        null as buying_role,
        c.account_id
    from ma_leads as l
    left join hubspot_company_of_lead as c on l.lead_id = c.lead_id
    union all
    select
        _day,
        contact_id as id,
        first_name,
        last_name,
        email,
        null as phone,
        null as company_name,
        title as job_title,
        department,
        min(updated_at) over (partition by contact_id) as created_at,
        updated_at,
        null as original_source,
        null as drill_down,
        null as opt_out,
        case buying_role
            when 'decision_maker' then 'Decision Maker'
            when 'economic_buyer' then 'Budget Holder'
            when 'champion' then 'Champion'
            when 'influencer' then 'Influencer'
            when 'user' then 'End User'
        end as buying_role,
        account_id
    from hubspot_merged_crm_contacts
    where merged_into is null
)

select
    _day,
    id as "Record ID",
    first_name as "First Name",
    last_name as "Last Name",
    email as "Email",
    phone as "Phone Number",
    company_name as "Company Name",
    job_title as "Job Title",
    department as "Department",
    strftime(
        timezone(getvariable('timezone'), cast(created_at as timestamptz)), '%Y-%m-%d %H:%M'
    ) as "Create Date",
    strftime(
        timezone(getvariable('timezone'), cast(updated_at as timestamptz)), '%Y-%m-%d %H:%M'
    ) as "Last Modified Date",
    original_source as "Original Source",
    drill_down as "Original Source Drill-Down 1",
    case opt_out when true then 'Yes' when false then 'No' end
        as "Unsubscribed from all email",
    buying_role as "Buying Role",
    account_id as "Associated Company IDs (Primary)",
    account_id as "Associated Company IDs"
from contacts
order by _day, updated_at, id
