{#- CRM accounts, resolved to the company database (名寄せ) and enriched from it, with
    their customer status as of the data date. -#}
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

matches as (
    select * from {{ ref('int_account_company_matches') }}
),

companies as (
    select * from {{ ref('dim_companies') }}
),

crm_industries as (
    select * from {{ ref('crm_industry_divisions') }}
),

contracts as (
    select * from {{ ref('stg_crm__contracts') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

in_force as (
    select
        contracts.account_id,
        count(*) as contracts_in_force,
        sum(contracts.annual_amount_jpy) as arr_jpy
    from contracts
    cross join data_date
    where contracts.started_on <= data_date.data_date
        and (contracts.ended_on is null or contracts.ended_on >= data_date.data_date)
    group by contracts.account_id
),

-- a term signed but not started by the data date does not make a customer yet
first_contracts as (
    select
        contracts.account_id,
        min(contracts.started_on) as customer_since
    from contracts
    cross join data_date
    where contracts.started_on <= data_date.data_date
    group by contracts.account_id
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        matches.corporate_number,
        accounts.corporate_number as corporate_number_entered,
        companies.company_name,
        accounts.domain,
        accounts.industry,
        coalesce(companies.industry_division, crm_industries.industry_division) as industry_division,
        companies.industry_code,
        companies.prefecture,
        companies.employees,
        companies.revenue_jpy,
        companies.revenue_growth_rate,
        companies.parent_corporate_number,
        coalesce(companies.group_corporate_number, matches.corporate_number) as group_corporate_number,
        companies.is_listed,
        accounts.owner,
        accounts.abm_tier,
        coalesce(in_force.contracts_in_force, 0) > 0 as is_customer,
        coalesce(in_force.arr_jpy, 0) as arr_jpy,
        first_contracts.customer_since,
        matches.match_method,
        matches.match_confidence,
        matches.primary_account_id,
        matches.is_duplicate_account,
        matches.account_key,
        accounts.created_at,
        accounts.updated_at
    from accounts
    left join matches
        on accounts.account_id = matches.account_id
    left join companies
        on matches.corporate_number = companies.corporate_number
    left join crm_industries
        on accounts.industry = crm_industries.crm_industry
    left join in_force
        on accounts.account_id = in_force.account_id
    left join first_contracts
        on accounts.account_id = first_contracts.account_id
)

select * from final
