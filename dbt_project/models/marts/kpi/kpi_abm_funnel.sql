{#- The ABM funnel by month and tier: accounts, engaged, MQA, with a new opportunity,
    won, and the rates between the stages. -#}
with tiers as (
    select * from {{ ref('int_account_tiers_monthly') }}
    where month >= (select {{ month_start('min(activity_date)') }} from {{ ref('fct_account_engagement_daily') }})
),

weights as (
    select * from {{ ref('activity_weights') }}
    where is_engagement
),

engaged as (
    select distinct
        engagement.account_id,
        {{ month_start('engagement.activity_date') }} as month
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
),

mqa as (
    select distinct
        account_id,
        qualified_month as month
    from {{ ref('fct_mqa_events') }}
),

opportunities as (
    select distinct
        primary_account_id as account_id,
        created_month as month
    from {{ ref('fct_opportunities') }}
    where primary_account_id is not null
),

won as (
    select distinct
        primary_account_id as account_id,
        closed_month as month
    from {{ ref('fct_opportunities') }}
    where is_won and primary_account_id is not null
),

counts as (
    select
        tiers.month,
        tiers.abm_tier,
        count(*) as target_accounts,
        count(engaged.account_id) as engaged_accounts,
        count(mqa.account_id) as mqa_accounts,
        count(opportunities.account_id) as opportunity_accounts,
        count(won.account_id) as won_accounts
    from tiers
    left join engaged
        on tiers.account_id = engaged.account_id and tiers.month = engaged.month
    left join mqa
        on tiers.account_id = mqa.account_id and tiers.month = mqa.month
    left join opportunities
        on tiers.account_id = opportunities.account_id and tiers.month = opportunities.month
    left join won
        on tiers.account_id = won.account_id and tiers.month = won.month
    group by tiers.month, tiers.abm_tier
),

final as (
    select
        {{ dbt.concat(["cast(month as " ~ dbt.type_string() ~ ")", "'|'", "abm_tier"]) }} as funnel_key,
        month,
        abm_tier,
        target_accounts,
        engaged_accounts,
        mqa_accounts,
        opportunity_accounts,
        won_accounts,
        {{ round_to(safe_divide('engaged_accounts', 'target_accounts'), 4) }} as engagement_rate,
        {{ round_to(safe_divide('mqa_accounts', 'engaged_accounts'), 4) }} as mqa_rate,
        {{ round_to(safe_divide('opportunity_accounts', 'target_accounts'), 4) }} as opportunity_rate,
        {{ round_to(safe_divide('won_accounts', 'opportunity_accounts'), 4) }} as won_rate
    from counts
)

select * from final
