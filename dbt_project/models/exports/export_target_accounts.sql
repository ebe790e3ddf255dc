{#- The ranked ABM target list to hand to sales and the MA tool: one row per tiered
    account of mart_target_accounts (the untiered rest stays home), with its tier, score,
    reasons and the next best product to offer. -#}
with targets as (
    select * from {{ ref('mart_target_accounts') }}
    where target_tier <> 'untiered'
),

accounts as (
    select
        account_key,
        domain,
        corporate_number
    from {{ ref('dim_abm_accounts') }}
),

final as (
    select
        targets.target_rank,
        targets.target_tier,
        targets.account_key,
        targets.account_id,
        targets.account_name,
        accounts.domain,
        accounts.corporate_number,
        targets.owner,
        targets.is_customer,
        targets.scored_on,
        targets.target_score,
        targets.fit_score,
        targets.propensity_score,
        targets.engagement_score,
        targets.is_mqa,
        targets.top_reason,
        targets.reason_2,
        targets.reason_3,
        targets.next_best_product,
        targets.next_best_product_score,
        targets.resembles
    from targets
    inner join accounts
        on targets.account_key = accounts.account_key
)

select * from final
