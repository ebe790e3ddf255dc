{#- Attribution credit, one row per opportunity x attribution model x campaign x
    channel: each model's shares of fct_attribution_touches turned into amounts that add
    up to the opportunity's amount to the cent (largest remainder, touch by touch), then
    summed per campaign and channel. An opportunity without a touch gets one row per
    model, channel 'no touch', with the whole amount, so every model sums to the
    pipeline of fct_opportunities. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

touches as (
    select * from {{ ref('fct_attribution_touches') }}
),

-- touches are known from the first activity on: earlier windows are cut short
first_activity as (
    select min(occurred_on) as first_activity_on
    from {{ ref('fct_activities') }}
),

touch_shares as (
    {% for model_name in attribution_models() %}
    select
        opportunity_id,
        '{{ model_name }}' as attribution_model,
        touch_number,
        campaign_id,
        campaign_name,
        channel,
        {{ model_name }}_share as credit_share
    from touches
    where {{ model_name }}_share > 0
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

touch_credits as (
    select
        touch_shares.opportunity_id,
        touch_shares.attribution_model,
        touch_shares.campaign_id,
        touch_shares.campaign_name,
        touch_shares.channel,
        touch_shares.credit_share,
        {{ allocate_amount(
            'opportunities.amount_jpy',
            'touch_shares.credit_share',
            'touch_shares.opportunity_id, touch_shares.attribution_model',
            'touch_shares.touch_number'
        ) }} as credit_jpy
    from touch_shares
    inner join opportunities
        on touch_shares.opportunity_id = opportunities.opportunity_id
),

touched as (
    select distinct opportunity_id from touches
),

untouched as (
    {% for model_name in attribution_models() %}
    select
        opportunities.opportunity_id,
        '{{ model_name }}' as attribution_model,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as campaign_name,
        'no touch' as channel,
        cast(1 as {{ type_double() }}) as credit_share,
        opportunities.amount_jpy as credit_jpy
    from opportunities
    left join touched
        on opportunities.opportunity_id = touched.opportunity_id
    where touched.opportunity_id is null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

credits as (
    select
        opportunity_id,
        attribution_model,
        campaign_id,
        campaign_name,
        channel,
        count(*) as touches,
        -- summed as decimals (a float sum depends on the order the rows arrive in);
        -- shares rounded to 18 places that add up to 1 may exceed it by a few 1e-18
        cast(least(sum(cast(credit_share as numeric(38, 18))), 1) as {{ type_double() }})
            as credit_share,
        sum(credit_jpy) as credit_jpy
    from touch_credits
    group by opportunity_id, attribution_model, campaign_id, campaign_name, channel
    union all
    select
        opportunity_id,
        attribution_model,
        campaign_id,
        campaign_name,
        channel,
        0 as touches,
        credit_share,
        credit_jpy
    from untouched
),

final as (
    select
        {{ dbt.concat([
            "credits.opportunity_id", "'@'", "credits.attribution_model", "'@'",
            "coalesce(credits.campaign_id, '')", "'@'", "credits.channel"
        ]) }} as attribution_key,
        credits.opportunity_id,
        opportunities.primary_account_id as account_id,
        opportunities.created_on,
        opportunities.created_month,
        opportunities.is_won,
        opportunities.created_on >= {{ add_days(
            'first_activity.first_activity_on', var('attribution_lookback_days')
        ) }} as is_lookback_complete,
        credits.attribution_model,
        credits.campaign_id,
        credits.campaign_name,
        credits.channel,
        credits.touches,
        credits.credit_share,
        cast(credits.credit_jpy as {{ type_amount() }}) as credit_jpy
    from credits
    inner join opportunities
        on credits.opportunity_id = opportunities.opportunity_id
    cross join first_activity
)

select * from final
