{#- Potential good customers: the latest lookalike scores (models_ml, schema ml) of the
    ordinary customers (一般顧客) and prospects, with who they resemble among the good
    customers (優良顧客). One row per account scored on the latest scoring date. -#}
with scores as (
    select * from {{ source('ml', 'lookalike_scores') }}
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
        accounts.industry_division,
        accounts.employees,
        accounts.arr_jpy,
        scores.customer_status,
        scores.scored_on,
        scores.lookalike_score,
        scores.lookalike_rank,
        scores.similar_account_1,
        scores.similar_name_1,
        scores.similar_account_2,
        scores.similar_name_2,
        scores.similar_account_3,
        scores.similar_name_3,
        scores.reason_1,
        scores.reason_2,
        scores.reason_3,
        scores.model_version,
        scores.scored_at
    from scores
    inner join latest
        on scores.scored_on = latest.scored_on
    left join accounts
        on scores.account_key = accounts.account_key
)

select * from final
