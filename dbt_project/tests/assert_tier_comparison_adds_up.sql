{#- The cross-tab of ML tier x CRM tier counts every account of the target list once, in
    its own cell, and its cells off the diagonal hold exactly the accounts that
    mart_tier_comparison lists. Returns the cells that break this. -#}
with targets as (
    select
        target_tier as ml_tier,
        coalesce(current_abm_tier, 'untiered') as crm_tier,
        count(*) as accounts
    from {{ ref('mart_target_accounts') }}
    group by target_tier, coalesce(current_abm_tier, 'untiered')
),

listed as (
    select
        ml_tier,
        crm_tier,
        count(*) as accounts
    from {{ ref('mart_tier_comparison') }}
    group by ml_tier, crm_tier
),

summary as (
    select * from {{ ref('mart_tier_comparison_summary') }}
)

select
    coalesce(summary.ml_tier, targets.ml_tier) as ml_tier,
    coalesce(summary.crm_tier, targets.crm_tier) as crm_tier
from summary
full outer join targets
    on summary.ml_tier = targets.ml_tier
    and summary.crm_tier = targets.crm_tier
left join listed
    on coalesce(summary.ml_tier, targets.ml_tier) = listed.ml_tier
    and coalesce(summary.crm_tier, targets.crm_tier) = listed.crm_tier
where summary.ml_tier is null
    or summary.accounts <> coalesce(targets.accounts, 0)
    or summary.new_logo_accounts + summary.expansion_accounts <> summary.accounts
    or coalesce(listed.accounts, 0) <> case when summary.tiers_agree then 0 else summary.accounts end
