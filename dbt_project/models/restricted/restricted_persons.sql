{#- People with their personal data, one row per person (int_person_records: leads and
    CRM contacts of one human are one person), described by their CRM contact when they
    have one, else by their most recently updated lead. dim_persons is this without the
    personal data. -#}
with person_records as (
    select * from {{ ref('int_person_records') }}
),

leads as (
    select
        dim_leads.lead_id,
        lead_contacts.email,
        lead_contacts.last_name,
        lead_contacts.first_name,
        dim_leads.account_key,
        dim_leads.updated_at
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
        first_name,
        updated_at
    from {{ ref('stg_crm__contacts') }}
),

account_matches as (
    select
        account_id,
        account_key
    from {{ ref('int_account_company_matches') }}
),

records as (
    select
        person_records.person_key,
        person_records.record_type,
        person_records.record_id,
        coalesce(leads.email, contacts.email) as email,
        coalesce(leads.last_name, contacts.last_name) as last_name,
        coalesce(leads.first_name, contacts.first_name) as first_name,
        coalesce(leads.account_key, account_matches.account_key) as account_key,
        coalesce(leads.updated_at, contacts.updated_at) as updated_at
    from person_records
    left join leads
        on person_records.record_type = 'ma_lead'
        and person_records.record_id = leads.lead_id
    left join contacts
        on person_records.record_type = 'crm_contact'
        and person_records.record_id = contacts.contact_id
    left join account_matches
        on contacts.account_id = account_matches.account_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by person_key
            order by
                case when record_type = 'crm_contact' then 0 else 1 end asc,
                updated_at desc,
                record_id asc
        ) as recency
    from records
),

counts as (
    select
        person_key,
        min(case when record_type = 'crm_contact' then record_id end) as contact_id,
        sum(case when record_type = 'ma_lead' then 1 else 0 end) as lead_count,
        sum(case when record_type = 'crm_contact' then 1 else 0 end) as contact_count,
        count(distinct account_key) as account_count
    from records
    group by person_key
),

final as (
    select
        counts.person_key,
        counts.contact_id,
        {{ person_hash('ranked.email') }} as email_hash,
        ranked.email,
        ranked.last_name,
        ranked.first_name,
        ranked.account_key,
        counts.lead_count,
        counts.contact_count,
        counts.account_count
    from counts
    inner join ranked
        on counts.person_key = ranked.person_key
        and ranked.recency = 1
)

select * from final
