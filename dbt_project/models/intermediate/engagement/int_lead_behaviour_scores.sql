{#- One row per MA lead per ML cutoff (int_ml_cutoffs) from the day it was created: its
    behaviour score and the activity behind it, from its MA activities up to the end of
    the cutoff day only. The behaviour score is the activity_weights points of the last
    var lead_score_window_days, floored at 0 (an unsubscribe takes points away): the one
    definition kpi_lead_score_calibration bands and the lead-scoring model learns from. -#}
{%- set window = var('lead_score_window_days') %}
with leads as (
    select
        lead_id,
        {{ local_date('created_at') }} as created_on
    from {{ ref('dim_leads') }}
    where created_at is not null
),

weights as (
    select * from {{ ref('activity_weights') }}
    where source = 'ma'
),

cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

-- one row per lead and day it acted: its points and its activities by kind
lead_days as (
    select
        activities.lead_id,
        activities.occurred_on,
        sum(weights.points) as points,
        sum(case when activities.activity_type = 'form_submit' then 1 else 0 end) as form_submits,
        sum(case when activities.activity_type = 'content_download' then 1 else 0 end) as content_downloads,
        sum(case when activities.activity_type = 'event_attendance' then 1 else 0 end) as event_attendances,
        sum(case when activities.activity_type = 'email_click' then 1 else 0 end) as email_clicks,
        sum(case when activities.activity_type = 'web_visit' then 1 else 0 end) as web_visits,
        sum(case when activities.activity_type = 'unsubscribe' then 1 else 0 end) as unsubscribes,
        max(case when weights.is_engagement then 1 else 0 end) as is_engaged_day
    from {{ ref('fct_activities') }} as activities
    inner join weights
        on activities.activity_type = weights.activity_type
    where activities.source = 'ma'
        and activities.lead_id is not null
    group by activities.lead_id, activities.occurred_on
),

spine as (
    select
        leads.lead_id,
        leads.created_on,
        cutoffs.cutoff_date,
        cutoffs.is_scoring_date,
        cutoffs.is_label_complete
    from leads
    inner join cutoffs
        on leads.created_on <= cutoffs.cutoff_date
),

-- a year back at most: what the score and the recency read
windowed as (
    select
        spine.lead_id,
        spine.cutoff_date,
        sum(case
            when lead_days.occurred_on > {{ add_days('spine.cutoff_date', -window) }} then lead_days.points
        end) as points_window,
        sum(case
            when lead_days.occurred_on > {{ add_days('spine.cutoff_date', -30) }} then lead_days.points
        end) as points_30d,
        sum(case
            when lead_days.occurred_on > {{ add_days('spine.cutoff_date', -7) }} then lead_days.points
        end) as points_7d,
        sum(case
            when lead_days.occurred_on > {{ add_days('spine.cutoff_date', -window) }} then lead_days.is_engaged_day
        end) as engaged_days,
        {%- for kind in ['form_submits', 'content_downloads', 'event_attendances', 'email_clicks', 'web_visits'] %}
        sum(case
            when lead_days.occurred_on > {{ add_days('spine.cutoff_date', -window) }} then lead_days.{{ kind }}
        end) as {{ kind }},
        {%- endfor %}
        sum(lead_days.unsubscribes) as unsubscribes_365d,
        max(case when lead_days.is_engaged_day = 1 then lead_days.occurred_on end) as last_engaged_on
    from spine
    inner join lead_days
        on spine.lead_id = lead_days.lead_id
        and lead_days.occurred_on <= spine.cutoff_date
        and lead_days.occurred_on > {{ add_days('spine.cutoff_date', -365) }}
    group by spine.lead_id, spine.cutoff_date
),

final as (
    select
        spine.lead_id,
        spine.cutoff_date,
        spine.is_scoring_date,
        spine.is_label_complete,
        {{ days_between('spine.created_on', 'spine.cutoff_date') }} as lead_age_days,
        greatest(coalesce(windowed.points_window, 0), 0) as behaviour_score,
        coalesce(windowed.points_30d, 0) as points_30d,
        coalesce(windowed.points_7d, 0) as points_7d,
        coalesce(windowed.engaged_days, 0) as engaged_days,
        {%- for kind in ['form_submits', 'content_downloads', 'event_attendances', 'email_clicks', 'web_visits'] %}
        coalesce(windowed.{{ kind }}, 0) as {{ kind }},
        {%- endfor %}
        coalesce(windowed.unsubscribes_365d, 0) as unsubscribes_365d,
        coalesce({{ days_between('windowed.last_engaged_on', 'spine.cutoff_date') }}, 365) as days_since_engagement
    from spine
    left join windowed
        on spine.lead_id = windowed.lead_id
        and spine.cutoff_date = windowed.cutoff_date
)

select * from final
