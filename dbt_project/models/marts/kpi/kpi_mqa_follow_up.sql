{#- The hand-off of every MQA to sales: how long the account took to qualify, how soon
    sales touched it and opened an opportunity, and whether that was within the service
    levels of seed mqa_sla. One row per MQA event (fct_mqa_events), customer or prospect:
    owner and tier are those of the primary CRM account (unassigned / untiered for a
    prospect). -#}
with mqa_events as (
    select * from {{ ref('fct_mqa_events') }}
),

sla as (
    select
        max(case when sla = 'first_touch' then days end) as first_touch_days,
        max(case when sla = 'opportunity' then days end) as opportunity_days
    from {{ ref('mqa_sla') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

weights as (
    select
        source,
        activity_type
    from {{ ref('activity_weights') }}
    where is_engagement
),

account_history as (
    select * from {{ ref('dim_accounts_history') }}
),

first_states as (
    select
        account_id,
        owner,
        abm_tier
    from (
        select
            account_id,
            owner,
            abm_tier,
            row_number() over (partition by account_id order by valid_from) as state_number
        from account_history
    ) as numbered
    where state_number = 1
),

engaged_days as (
    select distinct
        engagement.account_key,
        engagement.activity_date
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
),

-- an engagement streak starts after var engagement_window_days without engagement
streak_starts as (
    select
        account_key,
        activity_date as streak_started_on
    from (
        select
            account_key,
            activity_date,
            lag(activity_date) over (partition by account_key order by activity_date) as previous_engaged_on
        from engaged_days
    ) as engaged
    where previous_engaged_on is null
        or {{ days_between('previous_engaged_on', 'activity_date') }} > {{ var('engagement_window_days') }}
),

sales_touches as (
    select
        account_key,
        occurred_on
    from {{ ref('fct_activities') }}
    where source = 'crm' and account_key is not null
),

-- deals stay on CRM accounts: reached through the ABM account of their primary account
opportunities as (
    select
        abm_accounts.account_key,
        deals.created_on,
        deals.closed_on
    from {{ ref('fct_opportunities') }} as deals
    inner join {{ ref('dim_abm_accounts') }} as abm_accounts
        on deals.primary_account_id = abm_accounts.crm_account_id
),

episodes as (
    select
        mqa_event_key,
        account_key,
        account_id,
        qualification_number,
        qualified_on,
        qualified_month,
        lag(disqualified_on) over (partition by account_key order by qualified_on) as previous_disqualified_on
    from mqa_events
),

-- the engagement that led to the qualification: from the start of its streak, or from
-- the end of the account's previous MQA episode when that came later
engagement_starts as (
    select
        episodes.mqa_event_key,
        max(streak_starts.streak_started_on) as streak_started_on
    from episodes
    inner join streak_starts
        on episodes.account_key = streak_starts.account_key
        and streak_starts.streak_started_on <= episodes.qualified_on
    group by episodes.mqa_event_key
),

first_engagements as (
    select
        episodes.mqa_event_key,
        min(engaged_days.activity_date) as first_engaged_on
    from episodes
    inner join engagement_starts
        on episodes.mqa_event_key = engagement_starts.mqa_event_key
    inner join engaged_days
        on episodes.account_key = engaged_days.account_key
        and engaged_days.activity_date >= engagement_starts.streak_started_on
        and engaged_days.activity_date
        >= coalesce(episodes.previous_disqualified_on, engagement_starts.streak_started_on)
        and engaged_days.activity_date <= episodes.qualified_on
    group by episodes.mqa_event_key
),

-- scores are as of the end of the qualification date: what sales did that day came
-- before the hand-off
first_touches as (
    select
        episodes.mqa_event_key,
        min(sales_touches.occurred_on) as first_touched_on
    from episodes
    inner join sales_touches
        on episodes.account_key = sales_touches.account_key
        and sales_touches.occurred_on > episodes.qualified_on
    group by episodes.mqa_event_key
),

first_opportunities as (
    select
        episodes.mqa_event_key,
        min(opportunities.created_on) as first_opportunity_on
    from episodes
    inner join opportunities
        on episodes.account_key = opportunities.account_key
        and opportunities.created_on > episodes.qualified_on
    group by episodes.mqa_event_key
),

open_opportunities as (
    select distinct episodes.mqa_event_key
    from episodes
    inner join opportunities
        on episodes.account_key = opportunities.account_key
        and opportunities.created_on <= episodes.qualified_on
        and (opportunities.closed_on is null or opportunities.closed_on > episodes.qualified_on)
),

owners as (
    select
        episodes.mqa_event_key,
        -- before the account's history starts, its first recorded state stands in
        coalesce(max(nullif(account_history.owner, '')), max(nullif(first_states.owner, '')), 'unassigned') as owner,
        coalesce(max(account_history.abm_tier), max(first_states.abm_tier), 'untiered') as abm_tier
    from episodes
    left join account_history
        on episodes.account_id = account_history.account_id
        and {{ valid_at('account_history', local_day_end('episodes.qualified_on')) }}
    left join first_states
        on episodes.account_id = first_states.account_id
    group by episodes.mqa_event_key
),

measured as (
    select
        episodes.mqa_event_key,
        episodes.account_key,
        episodes.account_id,
        episodes.qualification_number,
        episodes.qualified_on,
        episodes.qualified_month,
        owners.owner,
        owners.abm_tier,
        coalesce(first_engagements.first_engaged_on, engagement_starts.streak_started_on) as first_engaged_on,
        first_touches.first_touched_on,
        first_opportunities.first_opportunity_on,
        open_opportunities.mqa_event_key is not null as had_open_opportunity,
        {{ add_days('episodes.qualified_on', 'sla.first_touch_days') }} as first_touch_due_on,
        {{ add_days('episodes.qualified_on', 'sla.opportunity_days') }} as opportunity_due_on,
        data_date.data_date
    from episodes
    cross join sla
    cross join data_date
    inner join owners
        on episodes.mqa_event_key = owners.mqa_event_key
    left join engagement_starts
        on episodes.mqa_event_key = engagement_starts.mqa_event_key
    left join first_engagements
        on episodes.mqa_event_key = first_engagements.mqa_event_key
    left join first_touches
        on episodes.mqa_event_key = first_touches.mqa_event_key
    left join first_opportunities
        on episodes.mqa_event_key = first_opportunities.mqa_event_key
    left join open_opportunities
        on episodes.mqa_event_key = open_opportunities.mqa_event_key
),

final as (
    select
        mqa_event_key,
        account_key,
        account_id,
        qualification_number,
        qualified_on,
        qualified_month,
        owner,
        abm_tier,
        had_open_opportunity,
        first_engaged_on,
        {{ days_between('first_engaged_on', 'qualified_on') }} as days_to_mqa,
        first_touched_on,
        {{ days_between('qualified_on', 'first_touched_on') }} as days_to_first_touch,
        first_touch_due_on,
        first_touched_on is null and data_date < first_touch_due_on as is_first_touch_window_open,
        case
            when first_touched_on <= first_touch_due_on then true
            when first_touched_on is null and data_date < first_touch_due_on then null
            else false
        end as is_first_touch_within_sla,
        first_opportunity_on,
        {{ days_between('qualified_on', 'first_opportunity_on') }} as days_to_opportunity,
        opportunity_due_on,
        first_opportunity_on is null and data_date < opportunity_due_on as is_opportunity_window_open,
        case
            when first_opportunity_on <= opportunity_due_on then true
            when first_opportunity_on is null and data_date < opportunity_due_on then null
            else false
        end as is_opportunity_within_sla
    from measured
)

select * from final
