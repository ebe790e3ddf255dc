{#- The review queue of identity resolution: records the cascade would not link because
    several companies fit, each with its candidates, so a person can decide. -#}
with candidates as (
    select * from {{ source('identity', 'match_candidates') }}
),

accounts as (
    select
        account_id,
        account_name
    from {{ ref('stg_crm__accounts') }}
),

leads as (
    select
        lead_id,
        company_name,
        email
    from {{ ref('stg_ma__leads') }}
),

companies as (
    select
        corporate_number,
        company_name,
        prefecture,
        domain
    from {{ ref('stg_firmo__companies') }}
),

final as (
    select
        candidates.record_type,
        candidates.record_id,
        coalesce(accounts.account_name, leads.company_name) as name_as_entered,
        leads.email,
        candidates.candidate_rank,
        candidates.corporate_number as candidate_corporate_number,
        companies.company_name as candidate_company_name,
        companies.prefecture as candidate_prefecture,
        companies.domain as candidate_domain,
        candidates.match_probability
    from candidates
    left join accounts
        on candidates.record_type = 'account' and candidates.record_id = accounts.account_id
    left join leads
        on candidates.record_type = 'lead' and candidates.record_id = leads.lead_id
    left join companies
        on candidates.corporate_number = companies.corporate_number
)

select * from final
