{#- Engagement of every ABM account in play (a company with a CRM account or a lead,
    customer or prospect) from the day it was first seen, as of each scoring date: points and activities in 30/90-day windows, a time-decayed
    score, engaged people, buying-group coverage and surge. -#}
with dates as (
    select * from {{ ref('int_scoring_dates') }}
),

accounts as (
    select
        account_key,
        crm_account_id,
        first_seen_at
    from {{ ref('dim_abm_accounts') }}
    where crm_account_count > 0 or lead_count > 0
),

daily as (
    select
        engagement.account_key,
        engagement.activity_date,
        engagement.points,
        engagement.activity_count,
        weights.half_life_days
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join {{ ref('activity_weights') }} as weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
    where weights.points <> 0
),

people as (
    select * from {{ ref('int_engaged_people_daily') }}
),

required_roles as (
    select buying_role from {{ ref('buying_group_roles') }}
    where is_required
),

account_dates as (
    select
        accounts.account_key,
        accounts.crm_account_id,
        dates.as_of_date,
        dates.is_latest
    from accounts
    cross join dates
    where {{ local_date('accounts.first_seen_at') }} <= dates.as_of_date
),

aged_points as (
    select
        dates.as_of_date,
        daily.account_key,
        daily.points,
        daily.activity_count,
        daily.half_life_days,
        {{ days_between('daily.activity_date', 'dates.as_of_date') }} as age_days
    from dates
    inner join daily
        on daily.activity_date <= dates.as_of_date
        and daily.activity_date > {{ add_days('dates.as_of_date', -var('decay_window_days')) }}
),

points as (
    select
        as_of_date,
        account_key,
        sum(case when age_days < 7 then points else 0 end) as points_7d,
        sum(case when age_days < {{ var('engagement_short_window_days') }} then points else 0 end) as points_30d,
        sum(case when age_days < {{ var('engagement_window_days') }} then points else 0 end) as points_90d,
        sum(
            case when age_days >= 7 and age_days < {{ var('engagement_window_days') }} then points else 0 end
        ) as baseline_points,
        sum(
            case when age_days < {{ var('engagement_short_window_days') }} then activity_count else 0 end
        ) as activities_30d,
        sum(case when age_days < {{ var('engagement_window_days') }} then activity_count else 0 end) as activities_90d,
        sum({{ decayed_points('points', 'age_days', 'half_life_days') }}) as decayed_points
    from aged_points
    group by as_of_date, account_key
),

aged_people as (
    select
        dates.as_of_date,
        people.account_key,
        people.person_key,
        people.contact_id,
        people.buying_role,
        {{ days_between('people.activity_date', 'dates.as_of_date') }} as age_days
    from dates
    inner join people
        on people.activity_date <= dates.as_of_date
        and people.activity_date > {{ add_days('dates.as_of_date', -var('engagement_window_days')) }}
),

engaged as (
    select
        as_of_date,
        account_key,
        count(
            distinct case when age_days < {{ var('engagement_short_window_days') }} then person_key end
        ) as engaged_people_30d,
        count(distinct person_key) as engaged_people_90d,
        count(distinct contact_id) as engaged_contacts_90d,
        count(
            distinct case
                when buying_role in (select required_roles.buying_role from required_roles) then buying_role
            end
        ) as engaged_required_roles
    from aged_people
    group by as_of_date, account_key
),

final as (
    select
        {{ dbt.concat([
            "account_dates.account_key", "'@'", "cast(account_dates.as_of_date as " ~ dbt.type_string() ~ ")"
        ]) }} as account_date_key,
        account_dates.account_key,
        -- the primary CRM account, null for a prospect
        account_dates.crm_account_id as account_id,
        account_dates.as_of_date,
        account_dates.is_latest,
        coalesce(points.points_7d, 0) as points_7d,
        coalesce(points.points_30d, 0) as points_30d,
        coalesce(points.points_90d, 0) as points_90d,
        coalesce(points.activities_30d, 0) as activities_30d,
        coalesce(points.activities_90d, 0) as activities_90d,
        {{ round_to('coalesce(points.decayed_points, 0)', 4) }} as decayed_points,
        coalesce(engaged.engaged_people_30d, 0) as engaged_people_30d,
        coalesce(engaged.engaged_people_90d, 0) as engaged_people_90d,
        coalesce(engaged.engaged_contacts_90d, 0) as engaged_contacts_90d,
        coalesce(engaged.engaged_required_roles, 0) as engaged_required_roles,
        (select count(*) from required_roles) as required_roles,
        {{ round_to(safe_divide(
            'coalesce(engaged.engaged_required_roles, 0)', '(select count(*) from required_roles)'
        ), 4) }} as buying_group_coverage,
        {{ round_to(safe_divide(
            'coalesce(points.baseline_points, 0)', (var('engagement_window_days') - 7) / 7.0
        ), 4) }} as baseline_weekly_points,
        {{ round_to(safe_divide(
            'coalesce(points.points_7d, 0) * ' ~ ((var('engagement_window_days') - 7) / 7.0), 'points.baseline_points'
        ), 4) }} as surge_ratio,
        (
            coalesce(points.points_7d, 0) >= {{ var('surge_min_points') }}
            and coalesce(points.points_7d, 0) * {{ (var('engagement_window_days') - 7) / 7.0 }}
            >= {{ var('surge_min_ratio') }} * coalesce(points.baseline_points, 0)
        ) as is_surging
    from account_dates
    left join points
        on account_dates.account_key = points.account_key
        and account_dates.as_of_date = points.as_of_date
    left join engaged
        on account_dates.account_key = engaged.account_key
        and account_dates.as_of_date = engaged.as_of_date
)

select * from final
