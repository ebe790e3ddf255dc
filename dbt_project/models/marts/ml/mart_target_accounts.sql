{#- The ranked ABM target list, step 1 of the ABM loop: every ABM account in play (a
    company with a CRM account or a lead: customers and prospects alike) on the latest
    scoring date, ranked by the geometric mean of its fit (ICP fit score),
    its propensity (percentile of the probability of a new opportunity) and its
    relationship quality, tiered by the seed ml_target_tiers; with what to offer next,
    the top reason and the good customer it resembles. Until a propensity model is
    champion (young or sparse data), the list ranks by fit and relationship alone and
    scored_with says so: there is always a target list. -#}
with accounts as (
    select * from {{ ref('dim_abm_accounts') }}
    where crm_account_count > 0 or lead_count > 0
),

account_scores as (
    select * from {{ ref('mart_account_scores') }}
    where is_latest
),

features as (
    select
        account_key,
        cutoff_date,
        relationship_quality_score,
        open_opportunities
    from {{ ref('mart_account_features') }}
    where is_scoring_date
),

propensity as (
    select * from {{ ref('mart_account_propensity') }}
),

lookalikes as (
    select
        account_key,
        lookalike_score,
        similar_name_1
    from {{ ref('mart_lookalike_prospects') }}
),

offers as (
    select
        account_id,
        product_name,
        cross_sell_score
    from {{ ref('mart_cross_sell_matrix') }}
    where product_rank = 1
),

tiers as (
    select * from {{ ref('ml_target_tiers') }}
),

combined as (
    select
        accounts.account_key,
        accounts.crm_account_id as account_id,
        accounts.key_source,
        accounts.account_name,
        accounts.owner,
        accounts.industry_division,
        accounts.employees,
        accounts.is_customer,
        accounts.arr_jpy,
        accounts.abm_tier as current_abm_tier,
        coalesce(propensity.scored_on, features.cutoff_date) as scored_on,
        case
            when propensity.account_key is not null then 'fit, propensity, relationship'
            else 'fit, relationship (no propensity model yet)'
        end as scored_with,
        coalesce(account_scores.fit_score, 0) as fit_score,
        account_scores.engagement_score,
        account_scores.grade,
        coalesce(account_scores.is_mqa, false) as is_mqa,
        propensity.propensity_score,
        propensity.p_opportunity_90d,
        propensity.p_won_90d,
        coalesce(features.relationship_quality_score, 0) as relationship_quality_score,
        coalesce(features.open_opportunities, 0) as open_opportunities,
        lookalikes.lookalike_score,
        lookalikes.similar_name_1 as resembles,
        offers.product_name as next_best_product,
        offers.cross_sell_score as next_best_product_score,
        propensity.reason_1 as top_reason,
        propensity.reason_2,
        propensity.reason_3,
        propensity.model_version,
        100 * power(
            cast(
                (coalesce(account_scores.fit_score, 0) / 100.0)
                * coalesce(propensity.propensity_score / 100.0, 1)
                * (
                    {{ var('ml_target_relationship_floor') }}
                    + (1 - {{ var('ml_target_relationship_floor') }})
                    * coalesce(features.relationship_quality_score, 0) / 100.0
                )
                as {{ type_double() }}
            ),
            cast(
                case when propensity.account_key is null then 1.0 / 2 else 1.0 / 3 end
                as {{ type_double() }}
            )
        ) as target_score
    from accounts
    left join propensity
        on accounts.account_key = propensity.account_key
    left join account_scores
        on accounts.account_key = account_scores.account_key
    left join features
        on accounts.account_key = features.account_key
    left join lookalikes
        on accounts.account_key = lookalikes.account_key
    -- cross-sell offers are for CRM accounts
    left join offers
        on accounts.crm_account_id = offers.account_id
),

ranked as (
    select
        *,
        row_number() over (
            order by target_score desc, p_opportunity_90d desc nulls last, account_key asc
        ) as target_rank
    from combined
),

tiered as (
    select
        ranked.account_key,
        tiers.tier,
        row_number() over (partition by ranked.account_key order by tiers.max_rank) as tier_order
    from ranked
    inner join tiers
        on tiers.max_rank >= ranked.target_rank
),

final as (
    select
        ranked.target_rank,
        coalesce(tiered.tier, 'untiered') as target_tier,
        ranked.account_key,
        ranked.account_id,
        ranked.key_source,
        ranked.account_name,
        ranked.owner,
        ranked.industry_division,
        ranked.employees,
        ranked.is_customer,
        ranked.arr_jpy,
        ranked.current_abm_tier,
        ranked.scored_on,
        ranked.scored_with,
        {{ round_to('ranked.target_score', 2) }} as target_score,
        ranked.fit_score,
        ranked.propensity_score,
        ranked.p_opportunity_90d,
        ranked.p_won_90d,
        ranked.relationship_quality_score,
        ranked.engagement_score,
        ranked.grade,
        ranked.is_mqa,
        ranked.open_opportunities,
        ranked.lookalike_score,
        ranked.resembles,
        ranked.next_best_product,
        ranked.next_best_product_score,
        ranked.top_reason,
        ranked.reason_2,
        ranked.reason_3,
        ranked.model_version
    from ranked
    left join tiered
        on ranked.account_key = tiered.account_key
        and tiered.tier_order = 1
)

select * from final
