{#- One row per ABM account per ML cutoff with marketing or sales signals in the year
    before it (int_ml_account_signals_daily): counts of each kind of signal over the
    windows before the cutoff (vars ml_feature_*_days; a column's name carries the default).
    A feature family of mart_account_features. -#}
{#- the windows (vars ml_feature_*_days) -#}
{%- set week_days = var('ml_feature_week_days') %}
{%- set fortnight_days = var('ml_feature_fortnight_days') %}
{%- set month_days = var('ml_feature_month_days') %}
{%- set quarter_days = var('ml_feature_quarter_days') %}
{%- set year_days = var('ml_feature_year_days') %}
with cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

signals as (
    select * from {{ ref('int_ml_account_signals_daily') }}
),

-- behaviour: each day's signals joined to the cutoffs whose year before holds it
aged_signals as (
    select
        cutoffs.cutoff_date,
        signals.*,
        {{ days_between('signals.activity_date', 'cutoffs.cutoff_date') }} as age_days
    from cutoffs
    inner join signals
        on signals.activity_date <= cutoffs.cutoff_date
        and signals.activity_date > {{ add_days('cutoffs.cutoff_date', -year_days) }}
),

final as (
    select
        account_key,
        cutoff_date,
        {%- for signal in ['web_visits', 'pricing_visits', 'product_page_visits', 'case_study_visits',
                           'quote_requests', 'contact_forms', 'content_downloads', 'email_opens',
                           'email_clicks', 'event_registrations', 'seminar_attendance',
                           'webinar_attendance', 'card_scans', 'sales_calls', 'proposals'] %}
        sum(case when age_days < {{ fortnight_days }} then {{ signal }} else 0 end) as {{ signal }}_14d,
        sum(case when age_days < {{ month_days }} then {{ signal }} else 0 end) as {{ signal }}_30d,
        sum(
            case when age_days >= {{ month_days }} and age_days < {{ quarter_days }} then {{ signal }} else 0 end
        ) as {{ signal }}_prev_60d,
        {%- endfor %}
        sum(case when age_days < {{ week_days }} then ma_touches else 0 end) as ma_touches_7d,
        sum(case when age_days < {{ fortnight_days }} then ma_touches else 0 end) as ma_touches_14d,
        sum(case when age_days < {{ month_days }} then ma_touches else 0 end) as ma_touches_30d,
        sum(ma_touches) as ma_touches_365d,
        sum(case when age_days < {{ quarter_days }} then unsubscribes else 0 end) as unsubscribes_90d,
        sum(case when age_days < {{ quarter_days }} then meetings_held else 0 end) as meetings_held_90d,
        sum(meetings_held) as meetings_held_365d,
        sum(meetings_planned) as meetings_planned_365d,
        sum(case when age_days < {{ quarter_days }} then two_way_touches else 0 end) as two_way_touches_90d,
        min(case when quote_requests > 0 then age_days end) as days_since_quote_request
    from aged_signals
    group by account_key, cutoff_date
)

select * from final
