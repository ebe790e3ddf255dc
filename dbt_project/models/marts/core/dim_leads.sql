with leads as (
    select * from {{ ref('stg_ma__leads') }}
),

matches as (
    select * from {{ ref('int_lead_contact_matches') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

final as (
    select
        leads.lead_id,
        leads.email,
        leads.last_name,
        leads.first_name,
        leads.company_name,
        leads.department,
        leads.job_title,
        leads.lead_source,
        leads.is_opted_out,
        matches.contact_id,
        contacts.account_id,
        coalesce(matches.match_method, 'unmatched') as match_method,
        coalesce(matches.match_confidence, 0.0) as match_confidence,
        leads.created_at,
        leads.updated_at
    from leads
    left join matches
        on leads.lead_id = matches.lead_id
    left join contacts
        on matches.contact_id = contacts.contact_id
)

select * from final
