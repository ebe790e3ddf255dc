{#- Attributed pipeline, one row per attribution model x campaign, and per model x
    channel for credit without a campaign (organic web, sales meetings, 'no touch'): the
    opportunities' amounts credited by mart_attribution, in total and won, against the
    campaign's cost. Every campaign has a row per model (zero when nothing was credited),
    and each model's rows add up to the pipeline of fct_opportunities. -#}
with campaigns as (
    select * from {{ ref('stg_ma__campaigns') }}
),

credits as (
    select * from {{ ref('mart_attribution') }}
),

models as (
    {% for model_name in attribution_models() %}
    select '{{ model_name }}' as attribution_model
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

credited as (
    select
        attribution_model,
        campaign_id,
        channel,
        count(distinct opportunity_id) as credited_opportunities,
        -- summed as decimals: a float sum depends on the order the rows arrive in
        sum(cast(credit_share as numeric(38, 18))) as attributed_opportunities,
        sum(credit_jpy) as attributed_pipeline_jpy,
        sum(case when is_won then credit_jpy else 0 end) as attributed_won_jpy
    from credits
    group by attribution_model, campaign_id, channel
),

keys as (
    select
        models.attribution_model,
        campaigns.campaign_id,
        coalesce(campaigns.channel, 'unknown') as channel
    from models
    cross join campaigns
    union
    select
        attribution_model,
        campaign_id,
        channel
    from credited
),

final as (
    select
        {{ dbt.concat([
            "keys.attribution_model", "'@'", "coalesce(keys.campaign_id, '')", "'@'", "keys.channel"
        ]) }} as campaign_attribution_key,
        keys.attribution_model,
        keys.campaign_id,
        campaigns.campaign_name,
        keys.channel,
        campaigns.cost_jpy,
        coalesce(credited.credited_opportunities, 0) as credited_opportunities,
        coalesce(credited.attributed_opportunities, 0) as attributed_opportunities,
        cast(coalesce(credited.attributed_pipeline_jpy, 0) as {{ type_amount() }}) as attributed_pipeline_jpy,
        cast(coalesce(credited.attributed_won_jpy, 0) as {{ type_amount() }}) as attributed_won_jpy,
        {{ round_to(safe_divide('credited.attributed_pipeline_jpy', 'campaigns.cost_jpy'), 2) }}
            as attributed_pipeline_per_cost
    from keys
    left join credited
        on keys.attribution_model = credited.attribution_model
        and keys.channel = credited.channel
        and coalesce(keys.campaign_id, '') = coalesce(credited.campaign_id, '')
    left join campaigns
        on keys.campaign_id = campaigns.campaign_id
)

select * from final
