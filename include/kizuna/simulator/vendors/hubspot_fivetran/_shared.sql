-- HubSpot keeps one contact per e-mail address: a CRM contact whose address is a lead's is
-- that lead's contact with a company (hubspot_merged_crm_contacts.merged_into, and the
-- company in hubspot_company_of_lead); the other CRM contacts are contacts of their own.
-- Both HubSpot writers (hubspot_fivetran, hubspot_export) follow this rule.
create or replace view hubspot_merged_crm_contacts as
with lead_emails as (
    select
        lower(email) as email,
        min(lead_id) as lead_id
    from ma_leads
    where email is not null
    group by 1
)

select
    c.*,
    l.lead_id as merged_into
from crm_contacts as c
left join lead_emails as l on lower(c.email) = l.email;

create or replace view hubspot_company_of_lead as
select
    merged_into as lead_id,
    arg_max(account_id, updated_at) as account_id
from hubspot_merged_crm_contacts
where merged_into is not null
group by 1;
