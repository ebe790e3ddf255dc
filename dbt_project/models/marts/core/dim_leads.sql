{#- MA leads with the CRM contact, CRM account and company identity resolution found for
    them, how, and how sure. No personal data: the e-mail as its keyed hash; the address,
    name, department, title and phone are in restricted_lead_contacts. -#}
with leads as (
    select * from {{ ref('stg_ma__leads') }}
),

matches as (
    select * from {{ ref('int_lead_account_matches') }}
),

final as (
    select
        leads.lead_id,
        {{ person_hash('leads.email') }} as email_hash,
        leads.company_name,
        leads.lead_source,
        leads.is_opted_out,
        matches.contact_id,
        matches.account_id,
        matches.corporate_number,
        matches.account_key,
        matches.match_method,
        matches.match_confidence,
        leads.created_at,
        leads.updated_at
    from leads
    left join matches
        on leads.lead_id = matches.lead_id
)

select * from final
