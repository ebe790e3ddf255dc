{#- The ML tier against the CRM tier, as a cross-tab: one row per ML tier x CRM tier
    (every pair of tier_1..., untiered, empty cells as 0) with how many ABM accounts in
    play fall in the cell, by list. The diagonal is where the two agree;
    mart_tier_comparison lists the accounts off it, with why. -#}
with targets as (
    select * from {{ ref('mart_target_accounts') }}
),

tiers as (
    select * from {{ ref('ml_target_tiers') }}
),

tier_names as (
    select distinct
        tier,
        tier_level
    from tiers
    union all
    select
        'untiered' as tier,
        max(tier_level) + 1 as tier_level
    from tiers
),

cells as (
    select
        ml_tiers.tier as ml_tier,
        ml_tiers.tier_level as ml_tier_level,
        crm_tiers.tier as crm_tier,
        crm_tiers.tier_level as crm_tier_level
    from tier_names as ml_tiers
    cross join tier_names as crm_tiers
),

counted as (
    select
        target_tier as ml_tier,
        coalesce(current_abm_tier, 'untiered') as crm_tier,
        count(*) as accounts,
        count(case when target_list = 'new_logo' then 1 end) as new_logo_accounts,
        count(case when target_list = 'expansion' then 1 end) as expansion_accounts
    from targets
    group by target_tier, coalesce(current_abm_tier, 'untiered')
),

final as (
    select
        cells.ml_tier,
        cells.crm_tier,
        cells.ml_tier = cells.crm_tier as tiers_agree,
        cells.crm_tier_level - cells.ml_tier_level as ml_levels_higher,
        coalesce(counted.accounts, 0) as accounts,
        coalesce(counted.new_logo_accounts, 0) as new_logo_accounts,
        coalesce(counted.expansion_accounts, 0) as expansion_accounts
    from cells
    left join counted
        on cells.ml_tier = counted.ml_tier
        and cells.crm_tier = counted.crm_tier
)

select * from final
