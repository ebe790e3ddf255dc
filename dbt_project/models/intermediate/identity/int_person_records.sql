{#- Leads and contacts resolved to persons (名寄せ of people), as the warehouse knows them
    now: one row per MA lead and per CRM contact, with the person it is. The rules (same
    normalised e-mail, a lead's contact match, the same name at the same ABM account
    unless namesakes) are the macro person_resolution's, which the ML features also use
    as of each cutoff (int_ml_person_records). -#}
with recursive leads as (
    select
        leads.lead_id,
        lead_matches.contact_id,
        leads.email,
        leads.last_name,
        leads.first_name,
        lead_matches.account_key,
        -- resolved as the warehouse knows them now: every record on the data date
        cast(null as date) as known_on
    from {{ ref('stg_ma__leads') }} as leads
    left join {{ ref('int_lead_account_matches') }} as lead_matches
        on leads.lead_id = lead_matches.lead_id
),

contacts as (
    select
        contacts.contact_id,
        contacts.email,
        contacts.last_name,
        contacts.first_name,
        account_matches.account_key,
        cast(null as date) as known_on
    from {{ ref('stg_crm__contacts') }} as contacts
    left join {{ ref('int_account_company_matches') }} as account_matches
        on contacts.account_id = account_matches.account_id
),

dates as (
    select data_date as resolved_on from {{ ref('int_data_date') }}
),

{{ person_records('leads', 'contacts', 'dates') }},

{{ person_resolution('records') }},

final as (
    select
        record_type,
        record_id,
        person_key,
        person_records
    from resolved_persons
)

select * from final
