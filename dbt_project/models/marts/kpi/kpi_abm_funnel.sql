{#- The ABM funnel by cohort month and tier, over ABM accounts (customers and prospects:
    a prospect's engagement and MQA count; its deals come once it has a CRM account).
    Three cohorts per month M: the accounts
    engaged in M, the accounts that qualified as MQA in M, and the accounts with a deal
    created in M; of each, how many went on (MQA, a new deal, a won deal) within
    var funnel_window_days of the day they entered the cohort. Every rate divides a
    cohort's members that went on by the cohort, so it lies in [0, 1]. -#}
with tiers as (
    select * from {{ ref('int_account_tiers_monthly') }}
    where month >= (select {{ month_start('min(activity_date)') }} from {{ ref('fct_account_engagement_daily') }})
),

months as (
    select * from {{ ref('int_months') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

weights as (
    select * from {{ ref('activity_weights') }}
    where is_engagement
),

engagement_days as (
    select distinct
        engagement.account_key,
        engagement.activity_date
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
),

mqa_events as (
    select
        account_key,
        qualified_on
    from {{ ref('fct_mqa_events') }}
),

-- deals stay on CRM accounts: reached through the ABM account of their primary account
deals as (
    select
        abm_accounts.account_key,
        opportunities.created_on,
        opportunities.closed_on,
        opportunities.is_won
    from {{ ref('fct_opportunities') }} as opportunities
    inner join {{ ref('dim_abm_accounts') }} as abm_accounts
        on opportunities.primary_account_id = abm_accounts.crm_account_id
),

-- one row per cohort per account per month: the account entered the cohort on its
-- first engaged day, its first qualification or its first new deal of the month
cohort_members as (
    select
        'engaged' as cohort,
        account_key,
        {{ month_start('activity_date') }} as cohort_month,
        min(activity_date) as entered_on
    from engagement_days
    group by account_key, {{ month_start('activity_date') }}
    union all
    select
        'mqa' as cohort,
        account_key,
        {{ month_start('qualified_on') }} as cohort_month,
        min(qualified_on) as entered_on
    from mqa_events
    group by account_key, {{ month_start('qualified_on') }}
    union all
    select
        'opportunity' as cohort,
        account_key,
        {{ month_start('created_on') }} as cohort_month,
        min(created_on) as entered_on
    from deals
    group by account_key, {{ month_start('created_on') }}
),

-- members that qualified as MQA within the window of the day they entered
reached_mqa as (
    select distinct
        cohort_members.cohort,
        cohort_members.account_key,
        cohort_members.cohort_month
    from cohort_members
    inner join mqa_events
        on cohort_members.account_key = mqa_events.account_key
        and mqa_events.qualified_on >= cohort_members.entered_on
        and mqa_events.qualified_on <= {{ add_days('cohort_members.entered_on', var('funnel_window_days')) }}
),

-- members with a deal created within the window
reached_opportunity as (
    select distinct
        cohort_members.cohort,
        cohort_members.account_key,
        cohort_members.cohort_month
    from cohort_members
    inner join deals
        on cohort_members.account_key = deals.account_key
        and deals.created_on >= cohort_members.entered_on
        and deals.created_on <= {{ add_days('cohort_members.entered_on', var('funnel_window_days')) }}
),

-- members that won, within the window, a deal created on or after the day they entered
reached_won as (
    select distinct
        cohort_members.cohort,
        cohort_members.account_key,
        cohort_members.cohort_month
    from cohort_members
    inner join deals
        on cohort_members.account_key = deals.account_key
        and deals.is_won
        and deals.created_on >= cohort_members.entered_on
        and deals.closed_on <= {{ add_days('cohort_members.entered_on', var('funnel_window_days')) }}
),

members_went_on as (
    select
        cohort_members.cohort,
        cohort_members.account_key,
        cohort_members.cohort_month,
        reached_mqa.account_key is not null as went_to_mqa,
        reached_opportunity.account_key is not null as went_to_opportunity,
        reached_won.account_key is not null as went_to_won
    from cohort_members
    left join reached_mqa
        on cohort_members.cohort = reached_mqa.cohort
        and cohort_members.account_key = reached_mqa.account_key
        and cohort_members.cohort_month = reached_mqa.cohort_month
    left join reached_opportunity
        on cohort_members.cohort = reached_opportunity.cohort
        and cohort_members.account_key = reached_opportunity.account_key
        and cohort_members.cohort_month = reached_opportunity.cohort_month
    left join reached_won
        on cohort_members.cohort = reached_won.cohort
        and cohort_members.account_key = reached_won.account_key
        and cohort_members.cohort_month = reached_won.cohort_month
),

-- one row per account per month with any cohort: 1 where it is a member / went on
account_months as (
    select
        account_key,
        cohort_month,
        max(case when cohort = 'engaged' then 1 end) as is_engaged,
        max(case when cohort = 'engaged' and went_to_mqa then 1 end) as engaged_then_mqa,
        max(case when cohort = 'engaged' and went_to_opportunity then 1 end) as engaged_then_opportunity,
        max(case when cohort = 'engaged' and went_to_won then 1 end) as engaged_then_won,
        max(case when cohort = 'mqa' then 1 end) as is_mqa,
        max(case when cohort = 'mqa' and went_to_opportunity then 1 end) as mqa_then_opportunity,
        max(case when cohort = 'mqa' and went_to_won then 1 end) as mqa_then_won,
        max(case when cohort = 'opportunity' then 1 end) as is_opportunity,
        max(case when cohort = 'opportunity' and went_to_won then 1 end) as opportunity_then_won
    from members_went_on
    group by account_key, cohort_month
),

-- accounts with a deal won in the month (whenever the deal was created)
won_in_month as (
    select distinct
        account_key,
        {{ month_start('closed_on') }} as month
    from deals
    where is_won
),

counts as (
    select
        tiers.month as cohort_month,
        tiers.abm_tier,
        count(*) as target_accounts,
        count(account_months.is_engaged) as engaged_accounts,
        count(account_months.is_mqa) as mqa_accounts,
        count(account_months.is_opportunity) as opportunity_accounts,
        count(won_in_month.account_key) as won_accounts,
        count(account_months.engaged_then_mqa) as engaged_then_mqa_accounts,
        count(account_months.engaged_then_opportunity) as engaged_then_opportunity_accounts,
        count(account_months.engaged_then_won) as engaged_then_won_accounts,
        count(account_months.mqa_then_opportunity) as mqa_then_opportunity_accounts,
        count(account_months.mqa_then_won) as mqa_then_won_accounts,
        count(account_months.opportunity_then_won) as opportunity_then_won_accounts
    from tiers
    left join account_months
        on tiers.account_key = account_months.account_key
        and tiers.month = account_months.cohort_month
    left join won_in_month
        on tiers.account_key = won_in_month.account_key
        and tiers.month = won_in_month.month
    group by tiers.month, tiers.abm_tier
),

final as (
    select
        {{ dbt.concat(["cast(counts.cohort_month as " ~ dbt.type_string() ~ ")", "'|'", "counts.abm_tier"]) }}
            as funnel_key,
        counts.cohort_month,
        counts.abm_tier,
        {{ var('funnel_window_days') }} as window_days,
        -- every member's window (at most funnel_window_days from the month's last day)
        -- has closed by the data date
        {{ add_days('months.month_end', var('funnel_window_days')) }} <= data_date.data_date as is_window_complete,
        counts.target_accounts,
        counts.engaged_accounts,
        counts.mqa_accounts,
        counts.opportunity_accounts,
        counts.won_accounts,
        counts.engaged_then_mqa_accounts,
        counts.engaged_then_opportunity_accounts,
        counts.engaged_then_won_accounts,
        counts.mqa_then_opportunity_accounts,
        counts.mqa_then_won_accounts,
        counts.opportunity_then_won_accounts,
        {{ round_to(safe_divide('counts.engaged_accounts', 'counts.target_accounts'), 4) }} as engagement_rate,
        {{ round_to(safe_divide('counts.engaged_then_mqa_accounts', 'counts.engaged_accounts'), 4) }} as mqa_rate,
        {{ round_to(safe_divide('counts.mqa_then_opportunity_accounts', 'counts.mqa_accounts'), 4) }}
            as opportunity_rate,
        {{ round_to(safe_divide('counts.opportunity_then_won_accounts', 'counts.opportunity_accounts'), 4) }}
            as won_rate,
        {{ round_to(safe_divide('counts.engaged_then_opportunity_accounts', 'counts.engaged_accounts'), 4) }}
            as engaged_to_opportunity_rate,
        {{ round_to(safe_divide('counts.engaged_then_won_accounts', 'counts.engaged_accounts'), 4) }}
            as engaged_to_won_rate,
        {{ round_to(safe_divide('counts.mqa_then_won_accounts', 'counts.mqa_accounts'), 4) }} as mqa_to_won_rate
    from counts
    inner join months
        on counts.cohort_month = months.month
    cross join data_date
)

select * from final
