{#- People as the warehouse knew them at each ML cutoff: one row per cutoff and MA lead or
    CRM contact known by the end of that local day (a lead from its creation, a contact
    from its first version in the CRM), with the person it was then (macro
    person_resolution over the records known then, so a record that arrived later joins
    or splits no one before it existed). A record's e-mail, name and ABM account are as
    the warehouse has them now, as in the other features. -#}
with recursive dates as (
    select cutoff_date as resolved_on from {{ ref('int_ml_cutoffs') }}
),

leads as (
    select
        dim_leads.lead_id,
        dim_leads.contact_id,
        lead_contacts.email,
        lead_contacts.last_name,
        lead_contacts.first_name,
        dim_leads.account_key,
        {{ local_date('dim_leads.created_at') }} as known_on
    from {{ ref('dim_leads') }} as dim_leads
    inner join {{ ref('restricted_lead_contacts') }} as lead_contacts
        on dim_leads.lead_id = lead_contacts.lead_id
),

-- a contact is known from its first version in the CRM
contacts_first_known as (
    select
        contact_id,
        {{ local_date('min(valid_from)') }} as known_on
    from {{ ref('dim_contacts_history') }}
    group by contact_id
),

contacts as (
    select
        contacts.contact_id,
        contacts.email,
        contacts.last_name,
        contacts.first_name,
        account_matches.account_key,
        contacts_first_known.known_on
    from {{ ref('stg_crm__contacts') }} as contacts
    inner join contacts_first_known
        on contacts.contact_id = contacts_first_known.contact_id
    left join {{ ref('int_account_company_matches') }} as account_matches
        on contacts.account_id = account_matches.account_id
),

{{ person_records('leads', 'contacts', 'dates') }},

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
