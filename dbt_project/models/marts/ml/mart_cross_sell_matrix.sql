{#- The cross-sell matrix: one row per account (primary account) per product, scored on
    the latest scoring date: a 0-100 score for products the account could buy, "owned"
    where it owns the product, "included" where a product it owns includes it. Pivot on product_name for the account x product grid. -#}
with scores as (
    select * from {{ source('ml', 'cross_sell_scores') }}
),

latest as (
    select max(scored_on) as scored_on from scores
),

accounts as (
    select
        account_id,
        account_name,
        owner,
        is_customer
    from {{ ref('dim_accounts') }}
),

products as (
    select
        product_id,
        product_name,
        product_family
    from {{ ref('stg_crm__products') }}
),

final as (
    select
        {{ dbt.concat(["scores.account_id", "'@'", "scores.product_id"]) }} as account_product_key,
        scores.account_id,
        accounts.account_name,
        accounts.owner,
        accounts.is_customer,
        scores.product_id,
        products.product_name,
        products.product_family,
        scores.scored_on,
        scores.is_owned,
        scores.is_included,
        scores.has_open_opportunity,
        scores.cross_sell_score,
        scores.p_opportunity_90d,
        scores.product_rank,
        case
            when scores.is_owned then 'owned'
            when scores.is_included then 'included'
            else cast(cast({{ round_to('scores.cross_sell_score', 0) }} as integer) as {{ dbt.type_string() }})
        end as matrix_cell,
        scores.reason,
        scores.model_version,
        scores.scored_at
    from scores
    inner join latest
        on scores.scored_on = latest.scored_on
    left join accounts
        on scores.account_id = accounts.account_id
    left join products
        on scores.product_id = products.product_id
)

select * from final
