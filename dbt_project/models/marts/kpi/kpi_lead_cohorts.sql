{#- Leads by the month they were created (the cohort) and by window: of the leads of a
    cohort whose window had passed by the data date, how many engaged again, saw their
    account qualify (MQA) and saw their account get an opportunity within that many days
    of the lead's creation (windows: var lead_cohort_windows_days). From the first month
    with an activity: older leads' first days are not in the data. -#}
with leads as (
    select
        lead_id,
        account_id,
        account_key,
        {{ local_date('created_at') }} as created_on
    from {{ ref('dim_leads') }}
    where created_at is not null
        and {{ local_date('created_at') }} >= (
            select {{ month_start('min(occurred_on)') }} from {{ ref('fct_activities') }}
        )
),

account_matches as (
    select
        account_id,
        primary_account_id
    from {{ ref('int_account_company_matches') }}
),

weights as (
    select
        source,
        activity_type
    from {{ ref('activity_weights') }}
    where is_engagement
),

activities as (
    select
        activities.lead_id,
        activities.occurred_on
    from {{ ref('fct_activities') }} as activities
    inner join weights
        on activities.source = weights.source
        and activities.activity_type = weights.activity_type
    where activities.lead_id is not null
),

mqa_events as (
    select * from {{ ref('fct_mqa_events') }}
),

opportunities as (
    select
        primary_account_id as account_id,
        created_on
    from {{ ref('fct_opportunities') }}
    where primary_account_id is not null
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

windows as (
    select window_list.window_days
    from (values ({{ var('lead_cohort_windows_days') | join('), (') }})) as window_list (window_days)
),

resolved as (
    select
        leads.lead_id,
        leads.created_on,
        account_matches.primary_account_id as account_id,
        leads.account_key
    from leads
    left join account_matches
        on leads.account_id = account_matches.account_id
),

-- the form, scan or event that created the lead is not counted: engaged means it came back
first_engagements as (
    select
        resolved.lead_id,
        min(activities.occurred_on) as first_engaged_on
    from resolved
    inner join activities
        on resolved.lead_id = activities.lead_id
        and activities.occurred_on > resolved.created_on
    group by resolved.lead_id
),

-- the first day from the lead's creation on which its account was an MQA: the creation
-- day itself when the account was already qualified
first_mqa_days as (
    select
        resolved.lead_id,
        min(
            case
                when mqa_events.qualified_on < resolved.created_on then resolved.created_on
                else mqa_events.qualified_on
            end
        ) as mqa_account_on
    from resolved
    inner join mqa_events
        on resolved.account_key = mqa_events.account_key
        and (mqa_events.disqualified_on is null or mqa_events.disqualified_on > resolved.created_on)
    group by resolved.lead_id
),

first_opportunities as (
    select
        resolved.lead_id,
        min(opportunities.created_on) as first_opportunity_on
    from resolved
    inner join opportunities
        on resolved.account_id = opportunities.account_id
        and opportunities.created_on >= resolved.created_on
    group by resolved.lead_id
),

lead_days as (
    select
        resolved.lead_id,
        {{ month_start('resolved.created_on') }} as cohort_month,
        resolved.account_id is not null as has_account,
        {{ days_between('resolved.created_on', 'data_date.data_date') }} as days_observed,
        {{ days_between('resolved.created_on', 'first_engagements.first_engaged_on') }} as days_to_engagement,
        {{ days_between('resolved.created_on', 'first_mqa_days.mqa_account_on') }} as days_to_mqa_account,
        {{ days_between('resolved.created_on', 'first_opportunities.first_opportunity_on') }} as days_to_opportunity
    from resolved
    cross join data_date
    left join first_engagements
        on resolved.lead_id = first_engagements.lead_id
    left join first_mqa_days
        on resolved.lead_id = first_mqa_days.lead_id
    left join first_opportunities
        on resolved.lead_id = first_opportunities.lead_id
),

counts as (
    select
        lead_days.cohort_month,
        windows.window_days,
        count(*) as leads,
        sum(case when lead_days.has_account then 1 else 0 end) as leads_with_account,
        sum(case when lead_days.days_observed >= windows.window_days then 1 else 0 end) as mature_leads,
        sum(
            case
                when lead_days.days_observed >= windows.window_days
                    and lead_days.days_to_engagement <= windows.window_days then 1
                else 0
            end
        ) as engaged_leads,
        sum(
            case
                when lead_days.days_observed >= windows.window_days
                    and lead_days.days_to_mqa_account <= windows.window_days then 1
                else 0
            end
        ) as mqa_account_leads,
        sum(
            case
                when lead_days.days_observed >= windows.window_days
                    and lead_days.days_to_opportunity <= windows.window_days then 1
                else 0
            end
        ) as opportunity_leads
    from lead_days
    cross join windows
    group by lead_days.cohort_month, windows.window_days
),

final as (
    select
        {{ dbt.concat(["cast(cohort_month as " ~ dbt.type_string() ~ ")", "'|'",
                       "cast(window_days as " ~ dbt.type_string() ~ ")"]) }} as cohort_key,
        cohort_month,
        window_days,
        leads,
        leads_with_account,
        mature_leads,
        engaged_leads,
        mqa_account_leads,
        opportunity_leads,
        {{ round_to(safe_divide('engaged_leads', 'mature_leads'), 4) }} as engagement_rate,
        {{ round_to(safe_divide('mqa_account_leads', 'mature_leads'), 4) }} as mqa_account_rate,
        {{ round_to(safe_divide('opportunity_leads', 'mature_leads'), 4) }} as opportunity_rate
    from counts
)

select * from final
