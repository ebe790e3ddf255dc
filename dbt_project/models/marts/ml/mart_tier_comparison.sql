{#- Where the ML target list and the CRM disagree: one row per ABM account in play whose
    proposed tier (mart_target_accounts.target_tier) differs from the tier sales named in
    the CRM (abm_tier, untiered when none), with why. The account's factors are set
    against the median of the same factor among the accounts of its list that the ML
    puts in the CRM's tier: a CRM tier_1 account the ML leaves untiered is set against
    the ML's tier_1 accounts (what it lacks), a CRM-untiered account the ML makes tier_1
    against the ML's untiered ones (what lifts it). main_factor is the factor whose gap,
    weighted as in the list's score (var ml_target_weights), moved the account most
    in the direction of the ML's tier. And how long the CRM's tier has stood. -#}
{%- set weights = var('ml_target_weights') %}
{%- set no_reference_reason = dbt.concat([
    "'ML '", "differing.target_tier", "', CRM '", "differing.crm_tier",
    "': the ML puts no '", "differing.target_list", "' account in the CRM''s tier to compare with'"]) %}
{%- set factor_reason = dbt.concat([
    "'ML '", "differing.target_tier", "', CRM '", "differing.crm_tier", "': '",
    "pivoted.main_factor_words", "' among the ML''s '", "differing.target_list", "' '",
    "differing.crm_tier", "' accounts'",
    "coalesce(" ~ dbt.concat(["'; '", "pivoted.second_factor_words"]) ~ ", '')"]) %}

{#- each factor a list can rank by (var ml_target_weights): its column, in words -#}
{%- set factors = {
    'fit': ('fit_score', 'fit score'),
    'propensity': ('propensity_score', 'propensity percentile'),
    'relationship': ('relationship_quality_score', 'relationship quality'),
    'lookalike': ('lookalike_percentile', 'lookalike percentile'),
    'engagement': ('engagement_percentile', 'engagement percentile'),
} %}
with targets as (
    select * from {{ ref('mart_target_accounts') }}
),

tiers as (
    select * from {{ ref('ml_target_tiers') }}
),

account_history as (
    select
        account_id,
        abm_tier,
        valid_from
    from {{ ref('dim_accounts_history') }}
),

tier_levels as (
    select
        tier,
        min(tier_level) as tier_level
    from tiers
    group by tier
),

untiered_level as (
    select max(tier_level) + 1 as tier_level from tier_levels
),

-- the start of the run of states in which the CRM account has held its current tier
tier_states as (
    select
        account_id,
        abm_tier,
        valid_from,
        lag(abm_tier) over (partition by account_id order by valid_from) as previous_tier,
        row_number() over (partition by account_id order by valid_from) as state_number
    from account_history
),

crm_tier_since as (
    select
        account_id,
        max(valid_from) as crm_tier_since
    from tier_states
    where state_number = 1
        or coalesce(abm_tier, '') <> coalesce(previous_tier, '')
    group by account_id
),

compared as (
    select
        targets.*,
        coalesce(targets.current_abm_tier, 'untiered') as crm_tier,
        coalesce(ml_levels.tier_level, untiered_level.tier_level) as ml_tier_level,
        coalesce(crm_levels.tier_level, untiered_level.tier_level) as crm_tier_level
    from targets
    cross join untiered_level
    left join tier_levels as ml_levels
        on targets.target_tier = ml_levels.tier
    left join tier_levels as crm_levels
        on targets.current_abm_tier = crm_levels.tier
),

-- what the ML's accounts of each list and tier are like
tier_medians as (
    select
        target_list,
        target_tier,
        {{ median('fit_score') }} as fit_median,
        {{ median('propensity_score') }} as propensity_median,
        {{ median('relationship_quality_score') }} as relationship_median,
        {{ median('lookalike_percentile') }} as lookalike_median,
        {{ median('engagement_percentile') }} as engagement_median
    from targets
    group by target_list, target_tier
),

differing as (
    select
        compared.*,
        tier_medians.fit_median,
        tier_medians.propensity_median,
        tier_medians.relationship_median,
        tier_medians.lookalike_median,
        tier_medians.engagement_median,
        case when compared.ml_tier_level < compared.crm_tier_level then 1 else -1 end as direction_sign
    from compared
    left join tier_medians
        on compared.target_list = tier_medians.target_list
        and compared.crm_tier = tier_medians.target_tier
    where compared.target_tier <> compared.crm_tier
),

-- one row per account and factor of its list's score: the gap to the CRM tier's median
factor_gaps as (
    {%- for list_name, list_weights in weights.items() %}
    {%- set list_loop = loop %}
    {%- for name, weight in list_weights.items() %}
    select
        account_key,
        '{{ name }}' as factor,
        '{{ factors[name][1] }}' as factor_words,
        {{ factors[name][0] }} as factor_value,
        {{ name }}_median as factor_median,
        {{ factors[name][0] }} - {{ name }}_median as gap,
        direction_sign * {{ weight }} * ({{ factors[name][0] }} - {{ name }}_median) as weighted_push
    from differing
    where target_list = '{{ list_name }}'
        and {{ factors[name][0] }} is not null
        and {{ name }}_median is not null
    {% if not (loop.last and list_loop.last) %}union all{% endif %}
    {%- endfor %}
    {%- endfor %}
),

ranked_factors as (
    select
        *,
        row_number() over (
            partition by account_key order by weighted_push desc, factor asc
        ) as push_rank,
        {{ dbt.concat(["factor_words", "' '", "cast(cast(round(factor_value) as integer) as " ~ dbt.type_string() ~ ")",
                       "' against a median of '", "cast(cast(round(factor_median) as integer) as " ~ dbt.type_string() ~ ")"]) }} as factor_words_with_values
    from factor_gaps
),

pivoted as (
    select
        account_key,
        {%- for name in factors %}
        max(case when factor = '{{ name }}' then gap end) as {{ name }}_gap,
        {%- endfor %}
        max(case when push_rank = 1 then factor end) as main_factor,
        -- a second factor only when it, too, moved the account toward the ML's tier
        max(case when push_rank = 2 and weighted_push > 0 then factor end) as second_factor,
        max(case when push_rank = 1 then factor_words_with_values end) as main_factor_words,
        max(
            case when push_rank = 2 and weighted_push > 0 then factor_words_with_values end
        ) as second_factor_words
    from ranked_factors
    group by account_key
),

final as (
    select
        differing.account_key,
        differing.account_id,
        differing.account_name,
        differing.owner,
        differing.is_customer,
        differing.target_list,
        differing.target_tier as ml_tier,
        differing.crm_tier,
        case when differing.direction_sign = 1 then 'ml_higher' else 'ml_lower' end as direction,
        abs(differing.crm_tier_level - differing.ml_tier_level) as tier_levels_apart,
        differing.list_rank,
        differing.target_score,
        differing.scored_with,
        differing.fit_score,
        pivoted.fit_gap,
        differing.propensity_score,
        pivoted.propensity_gap,
        differing.relationship_quality_score,
        pivoted.relationship_gap,
        differing.lookalike_percentile,
        pivoted.lookalike_gap,
        differing.engagement_percentile,
        pivoted.engagement_gap,
        pivoted.main_factor,
        pivoted.second_factor,
        case
            when pivoted.main_factor is null then {{ no_reference_reason }}
            else {{ factor_reason }}
        end as reason,
        crm_tier_since.crm_tier_since,
        {{ days_between('cast(crm_tier_since.crm_tier_since as date)', 'differing.scored_on') }}
            as crm_tier_age_days,
        differing.scored_on
    from differing
    left join pivoted
        on differing.account_key = pivoted.account_key
    left join crm_tier_since
        on differing.account_id = crm_tier_since.account_id
)

select * from final
