{#- One row per ABM account per ML cutoff (int_ml_account_cutoffs): the company database's
    firmographics, listing and group membership, and the CRM's ABM tier, each as of the end
    of the cutoff day (effective-dated); null when unknown then. A feature family of
    mart_account_features. -#}
with spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
),

account_history as (
    select * from {{ ref('dim_accounts_history') }}
),

company_history as (
    select * from {{ ref('int_company_history') }}
),

-- listing and group membership as the company database had them (int_company_history
-- carries the firmographics that move monthly, not these)
company_status as (
    select
        corporate_number,
        is_listed,
        parent_corporate_number,
        {{ versions_to_intervals('corporate_number', 'updated_at') }}
    from {{ ref('stg_firmo__company_versions') }}
),

firmographics as (
    select
        spine.account_key,
        spine.cutoff_date,
        max(company_history.industry_division) as industry_division,
        max(company_history.employees) as employees,
        max(company_history.revenue_jpy) as revenue_jpy,
        max(company_history.revenue_growth_rate) as revenue_growth_rate
    from spine
    inner join company_history
        on spine.corporate_number = company_history.corporate_number
        and {{ valid_at('company_history', local_day_end('spine.cutoff_date')) }}
    group by spine.account_key, spine.cutoff_date
),

statuses as (
    select
        spine.account_key,
        spine.cutoff_date,
        max(case when company_status.is_listed then 1 else 0 end) as is_listed,
        max(case when company_status.parent_corporate_number is not null then 1 else 0 end) as has_group_parent
    from spine
    inner join company_status
        on spine.corporate_number = company_status.corporate_number
        and {{ valid_at('company_status', local_day_end('spine.cutoff_date')) }}
    group by spine.account_key, spine.cutoff_date
),

tiers as (
    select
        spine.account_key,
        spine.cutoff_date,
        max(account_history.abm_tier) as abm_tier
    from spine
    inner join account_history
        on spine.account_id = account_history.account_id
        and {{ valid_at('account_history', local_day_end('spine.cutoff_date')) }}
    group by spine.account_key, spine.cutoff_date
),

final as (
    select
        spine.account_key,
        spine.cutoff_date,
        firmographics.industry_division,
        firmographics.employees,
        firmographics.revenue_jpy,
        firmographics.revenue_growth_rate,
        statuses.is_listed,
        statuses.has_group_parent,
        tiers.abm_tier
    from spine
    left join firmographics
        on spine.account_key = firmographics.account_key and spine.cutoff_date = firmographics.cutoff_date
    left join statuses
        on spine.account_key = statuses.account_key and spine.cutoff_date = statuses.cutoff_date
    left join tiers
        on spine.account_key = tiers.account_key and spine.cutoff_date = tiers.cutoff_date
)

select * from final
