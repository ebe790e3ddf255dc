{#- Calibration of the champion lead model on a later period than it was fitted on: one
    row per decile of predicted probability on its evaluation cutoffs (models_ml writes
    ml.lead_score_calibration when it trains a version), with the decile's conversion over
    the average and over the bottom decile's. -#}
with calibration as (
    select * from {{ source('ml', 'lead_score_calibration') }}
),

champion as (
    select model_version
    from {{ source('ml', 'model_registry') }}
    where model_name = 'lead_opportunity_90d'
        and is_champion
),

deciles as (
    select calibration.*
    from calibration
    inner join champion
        on calibration.model_version = champion.model_version
),

overall as (
    select
        {{ safe_divide('sum(conversions)', 'sum(n_rows)') }} as average_rate,
        max(case when decile = 10 then observed_rate end) as bottom_rate
    from deciles
),

final as (
    select
        deciles.decile,
        deciles.model_version,
        deciles.evaluation_cutoffs,
        deciles.n_rows,
        deciles.conversions,
        {{ round_to('deciles.mean_predicted', 4) }} as mean_predicted,
        {{ round_to('deciles.observed_rate', 4) }} as observed_rate,
        {{ round_to('deciles.min_predicted', 4) }} as min_predicted,
        {{ round_to('deciles.max_predicted', 4) }} as max_predicted,
        {{ round_to(safe_divide('deciles.mean_predicted', 'deciles.observed_rate'), 3) }} as predicted_over_observed,
        {{ round_to(safe_divide('deciles.observed_rate', 'overall.average_rate'), 3) }} as lift_over_average,
        {{ round_to(safe_divide('deciles.observed_rate', 'overall.bottom_rate'), 3) }} as lift_over_bottom_decile
    from deciles
    cross join overall
)

select * from final
