{#- Leads and contacts resolved to persons (名寄せ of people), as the warehouse knows them
    now: one row per MA lead and per CRM contact, with the person it is. The rules (same
    normalised e-mail, a lead's contact match, the same name at the same ABM account
    unless namesakes) are the macro person_resolution's, which the ML features also use
    as of each cutoff (int_ml_person_records). -#}
with recursive leads as (
    select
        lead_id,
        email,
        last_name,
        first_name
    from {{ ref('stg_ma__leads') }}
),

lead_matches as (
    select
        lead_id,
        contact_id,
        account_key
    from {{ ref('int_lead_account_matches') }}
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

account_matches as (
    select
        account_id,
        account_key
    from {{ ref('int_account_company_matches') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

records as (
    select
        data_date.data_date as resolved_on,
        'ma_lead' as record_type,
        leads.lead_id as record_id,
        {{ dbt.concat(["'lead:'", "leads.lead_id"]) }} as record_key,
        lead_matches.contact_id as contact_link,
        leads.email,
        leads.last_name,
        leads.first_name,
        lead_matches.account_key
    from leads
    cross join data_date
    left join lead_matches
        on leads.lead_id = lead_matches.lead_id

    union all

    select
        data_date.data_date as resolved_on,
        'crm_contact' as record_type,
        contacts.contact_id as record_id,
        {{ dbt.concat(["'contact:'", "contacts.contact_id"]) }} as record_key,
        contacts.contact_id as contact_link,
        contacts.email,
        contacts.last_name,
        contacts.first_name,
        account_matches.account_key
    from contacts
    cross join data_date
    left join account_matches
        on contacts.account_id = account_matches.account_id
),

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
