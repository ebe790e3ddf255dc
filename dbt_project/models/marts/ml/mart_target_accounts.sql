{#- The ranked ABM target list, step 1 of the ABM loop: every ABM account in play (a
    company with a CRM account or a lead: customers and prospects alike) on the latest
    scoring date, in one of two lists that compete for their own slots, as ABM teams
    keep them. Expansion (customers) ranks by the weighted geometric mean of fit (ICP fit
    score), propensity (percentile of the probability of a new opportunity) and
    relationship quality; new logos (prospects) by fit, lookalike and engagement
    percentiles among the prospects, since a prospect has no relationship and almost no
    90-day opportunity yet. Weights: var ml_target_weights; tiers per list: seed
    ml_target_tiers. With what to offer next, the top reason and the good customer it
    resembles. A factor whose model is not champion yet (young or sparse data) is left
    out and scored_with says so: there is always a target list. -#}
{%- set weights = var('ml_target_weights') %}
{%- set floor = var('ml_target_relationship_floor') %}
{%- set expansion_score = weighted_geometric_mean({
    'fit': ['fit_score / 100.0', weights['expansion']['fit']],
    'propensity': ['propensity_score / 100.0', weights['expansion']['propensity']],
    'relationship': [floor ~ ' + (1 - ' ~ floor ~ ') * relationship_quality_score / 100.0',
                     weights['expansion']['relationship']],
}) %}
{%- set new_logo_score = weighted_geometric_mean({
    'fit': ['fit_score / 100.0', weights['new_logo']['fit']],
    'lookalike': ['lookalike_percentile', weights['new_logo']['lookalike']],
    'engagement': ['engagement_percentile', weights['new_logo']['engagement']],
}) %}
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
        lookalike_rank,
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
        case when accounts.is_customer then 'expansion' else 'new_logo' end as target_list,
        accounts.arr_jpy,
        accounts.abm_tier as current_abm_tier,
        coalesce(propensity.scored_on, features.cutoff_date) as scored_on,
        coalesce(account_scores.fit_score, 0) as fit_score,
        account_scores.engagement_score,
        account_scores.grade,
        coalesce(account_scores.is_mqa, false) as is_mqa,
        propensity.account_key is not null as has_propensity,
        propensity.propensity_score,
        propensity.p_opportunity_90d,
        propensity.p_won_90d,
        coalesce(features.relationship_quality_score, 0) as relationship_quality_score,
        coalesce(features.open_opportunities, 0) as open_opportunities,
        lookalikes.lookalike_score,
        lookalikes.lookalike_rank,
        lookalikes.similar_name_1 as resembles,
        offers.product_name as next_best_product,
        offers.cross_sell_score as next_best_product_score,
        propensity.reason_1 as top_reason,
        propensity.reason_2,
        propensity.reason_3,
        propensity.model_version
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

-- percentiles within the account's own list (cume_dist: ties share the upper value, so
-- the least engaged prospect is not zeroed); null where the model has not scored it
list_percentiles as (
    select
        *,
        case
            when lookalike_rank is not null
                then cume_dist() over (
                        partition by target_list, lookalike_rank is null order by lookalike_rank desc
                    )
        end as lookalike_percentile,
        cume_dist() over (
            partition by target_list order by coalesce(engagement_score, 0)
        ) as engagement_percentile
    from combined
),

scored as (
    select
        *,
        case
            when target_list = 'expansion' and has_propensity then 'fit, propensity, relationship'
            when target_list = 'expansion' then 'fit, relationship (no propensity model yet)'
            when lookalike_percentile is not null then 'fit, lookalike, engagement'
            else 'fit, engagement (no lookalike model yet)'
        end as scored_with,
        100 * case
            when target_list = 'expansion' then {{ expansion_score }}
            else {{ new_logo_score }}
        end as target_score
    from list_percentiles
),

ranked as (
    select
        *,
        row_number() over (
            partition by target_list
            order by target_score desc, p_opportunity_90d desc nulls last, account_key asc
        ) as list_rank
    from scored
),

tiered as (
    select
        ranked.account_key,
        tiers.tier,
        tiers.tier_level,
        row_number() over (partition by ranked.account_key order by tiers.max_rank) as tier_order
    from ranked
    inner join tiers
        on ranked.target_list = tiers.target_list
        and tiers.max_rank >= ranked.list_rank
),

-- one order across both lists: tier by tier, the lists taking turns by their own rank
-- (their scores are made of different factors, so they are not compared)
ordered as (
    select
        ranked.*,
        tiered.tier,
        row_number() over (
            order by
                tiered.tier_level asc nulls last,
                ranked.list_rank asc,
                ranked.target_score desc,
                ranked.p_opportunity_90d desc nulls last,
                ranked.account_key asc
        ) as target_rank
    from ranked
    left join tiered
        on ranked.account_key = tiered.account_key
        and tiered.tier_order = 1
),

final as (
    select
        target_rank,
        coalesce(tier, 'untiered') as target_tier,
        target_list,
        list_rank,
        account_key,
        account_id,
        key_source,
        account_name,
        owner,
        industry_division,
        employees,
        is_customer,
        arr_jpy,
        current_abm_tier,
        scored_on,
        scored_with,
        {{ round_to('target_score', 2) }} as target_score,
        fit_score,
        propensity_score,
        p_opportunity_90d,
        p_won_90d,
        relationship_quality_score,
        engagement_score,
        {{ round_to('100 * engagement_percentile', 2) }} as engagement_percentile,
        grade,
        is_mqa,
        open_opportunities,
        lookalike_score,
        {{ round_to('100 * lookalike_percentile', 2) }} as lookalike_percentile,
        resembles,
        next_best_product,
        next_best_product_score,
        top_reason,
        reason_2,
        reason_3,
        model_version
    from ordered
)

select * from final
