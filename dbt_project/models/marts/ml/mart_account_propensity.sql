{#- The latest propensity scores (models_ml, schema ml) with the account they belong
    to: one row per ABM account (customer or prospect) scored on the latest scoring date. -#}
with scores as (
    select * from {{ source('ml', 'account_propensity') }}
),

latest as (
    select max(scored_on) as scored_on from scores
),

accounts as (
    select * from {{ ref('dim_abm_accounts') }}
),

final as (
    select
        scores.account_key,
        scores.account_id,
        accounts.key_source,
        accounts.account_name,
        accounts.owner,
        accounts.abm_tier,
        accounts.is_customer,
        scores.scored_on,
        scores.p_opportunity_90d,
        scores.p_won_90d,
        scores.propensity_score,
        scores.propensity_rank,
        scores.propensity_decile,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3,
        scores.model_version,
        scores.win_model_version,
        scores.scored_at
    from scores
    inner join latest
        on scores.scored_on = latest.scored_on
    left join accounts
        on scores.account_key = accounts.account_key
)

select * from final
