{#- One row per ABM account per ML cutoff with engagement points in the var
    decay_window_days before it: the activity_weights points over the windows before the
    cutoff and the decayed points (macro decayed_points, as mart_account_engagement sums
    them). A feature family of mart_account_features. -#}
{#- the windows (vars ml_feature_*_days) -#}
{%- set week_days = var('ml_feature_week_days') %}
{%- set month_days = var('ml_feature_month_days') %}
{%- set quarter_days = var('ml_feature_quarter_days') %}
with cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

engagement as (
    select
        engagement.account_key,
        engagement.activity_date,
        engagement.points,
        weights.half_life_days
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join {{ ref('activity_weights') }} as weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
    where weights.points <> 0
),

aged_points as (
    select
        cutoffs.cutoff_date,
        engagement.account_key,
        engagement.points,
        engagement.half_life_days,
        {{ days_between('engagement.activity_date', 'cutoffs.cutoff_date') }} as age_days
    from cutoffs
    inner join engagement
        on engagement.activity_date <= cutoffs.cutoff_date
        and engagement.activity_date > {{ add_days('cutoffs.cutoff_date', -var('decay_window_days')) }}
),

final as (
    select
        account_key,
        cutoff_date,
        sum(case when age_days < {{ week_days }} then points else 0 end) as points_7d,
        sum(case when age_days < {{ month_days }} then points else 0 end) as points_30d,
        sum(
            case when age_days >= {{ month_days }} and age_days < {{ quarter_days }} then points else 0 end
        ) as points_prev_60d,
        -- summed exactly: a float sum's order varies with the engine's threads, and a
        -- rebuild would not give the same table
        cast(
            sum(cast({{ decayed_points('points', 'age_days', 'half_life_days') }} as decimal(38, 18)))
            as {{ type_double() }}
        ) as decayed_points,
        min(case when points > 0 then age_days end) as days_since_engagement
    from aged_points
    group by account_key, cutoff_date
)

select * from final
