{#- People as the warehouse knew them at each ML cutoff: one row per cutoff and MA lead or
    CRM contact known by the end of that local day (a lead from its creation, a contact
    from its first version in the CRM), with the person it was then (macro
    person_resolution over the records known then, so a record that arrived later joins
    or splits no one before it existed). A record's e-mail, name and ABM account are as
    the warehouse has them now, as in the other features. -#}
with recursive cutoffs as (
    select cutoff_date from {{ ref('int_ml_cutoffs') }}
),

leads as (
    select
        dim_leads.lead_id,
        lead_contacts.email,
        lead_contacts.last_name,
        lead_contacts.first_name,
        dim_leads.contact_id,
        dim_leads.account_key,
        {{ local_date('dim_leads.created_at') }} as known_on
    from {{ ref('dim_leads') }} as dim_leads
    inner join {{ ref('restricted_lead_contacts') }} as lead_contacts
        on dim_leads.lead_id = lead_contacts.lead_id
),

contacts as (
    select
        contact_id,
        account_id,
        email,
        last_name,
        first_name
    from {{ ref('stg_crm__contacts') }}
),

contacts_first_known as (
    select
        contact_id,
        {{ local_date('min(valid_from)') }} as known_on
    from {{ ref('dim_contacts_history') }}
    group by contact_id
),

account_matches as (
    select
        account_id,
        account_key
    from {{ ref('int_account_company_matches') }}
),

records as (
    select
        cutoffs.cutoff_date as resolved_on,
        'ma_lead' as record_type,
        leads.lead_id as record_id,
        {{ dbt.concat(["'lead:'", "leads.lead_id"]) }} as record_key,
        leads.contact_id as contact_link,
        leads.email,
        leads.last_name,
        leads.first_name,
        leads.account_key
    from leads
    inner join cutoffs
        on leads.known_on <= cutoffs.cutoff_date

    union all

    select
        cutoffs.cutoff_date as resolved_on,
        'crm_contact' as record_type,
        contacts.contact_id as record_id,
        {{ dbt.concat(["'contact:'", "contacts.contact_id"]) }} as record_key,
        contacts.contact_id as contact_link,
        contacts.email,
        contacts.last_name,
        contacts.first_name,
        account_matches.account_key
    from contacts
    inner join contacts_first_known
        on contacts.contact_id = contacts_first_known.contact_id
    inner join cutoffs
        on contacts_first_known.known_on <= cutoffs.cutoff_date
    left join account_matches
        on contacts.account_id = account_matches.account_id
),

{{ person_resolution('records') }},

final as (
    select
        resolved_on as cutoff_date,
        record_type,
        record_id,
        person_key
    from resolved_persons
)

select * from final
