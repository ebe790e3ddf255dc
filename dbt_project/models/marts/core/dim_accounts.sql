with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

companies as (
    select * from {{ ref('stg_firmo__companies') }}
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
),

active_contracts as (
    select
        account_id,
        count(*) as active_contracts,
        sum(annual_amount_jpy) as arr_jpy
    from contracts
    where status in ('active', 'renewed')
    group by account_id
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        companies.corporate_number,
        companies.company_name,
        accounts.domain,
        accounts.industry,
        companies.industry_code,
        companies.prefecture,
        companies.employees,
        companies.revenue_jpy,
        companies.revenue_growth_rate,
        companies.parent_corporate_number,
        companies.is_listed,
        accounts.owner,
        accounts.abm_tier,
        coalesce(active_contracts.active_contracts, 0) > 0 as is_customer,
        coalesce(active_contracts.arr_jpy, 0) as arr_jpy,
        accounts.created_at,
        accounts.updated_at
    from accounts
    left join companies
        on accounts.corporate_number = companies.corporate_number
    left join active_contracts
        on accounts.account_id = active_contracts.account_id
)

select * from final
