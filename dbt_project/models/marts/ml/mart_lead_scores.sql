{#- The latest lead scores (models_ml, schema ml) with the person the lead is, the account
    it belongs to and the behaviour band a hand-off threshold reads: one row per MA lead
    scored on the latest scoring date. -#}
with scores as (
    select * from {{ source('ml', 'lead_scores') }}
),

latest as (
    select max(scored_on) as scored_on from scores
),

accounts as (
    select * from {{ ref('dim_abm_accounts') }}
),

persons as (
    select
        record_id as lead_id,
        person_key
    from {{ ref('int_person_records') }}
    where record_type = 'ma_lead'
),

bands as (
    select * from {{ ref('lead_score_bands') }}
),

final as (
    select
        scores.lead_id,
        persons.person_key,
        scores.account_key,
        scores.account_id,
        accounts.account_name,
        accounts.owner,
        scores.behaviour_score,
        bands.band as behaviour_band,
        scores.p_opportunity_90d,
        scores.lead_score_rank,
        scores.lead_score_decile,
        scores.scored_on,
        scores.model_version,
        scores.scored_at
    from scores
    inner join latest
        on scores.scored_on = latest.scored_on
    left join persons
        on scores.lead_id = persons.lead_id
    left join accounts
        on scores.account_key = accounts.account_key
    left join bands
        on scores.behaviour_score >= bands.min_score
        and (bands.max_score is null or scores.behaviour_score < bands.max_score)
)

select * from final
