{#- The touches that led to each opportunity: the activities at its account (its
    company's primary account) of a type the attribution_touch_types seed counts, from
    attribution_lookback_days before the opportunity was created up to its creation,
    numbered in time, with each attribution model's share of the opportunity. W-shaped
    anchors are the first touch, the MQA touch (the last touch on or before the day the
    account last qualified as an MQA within the window) and the last touch; anchors that
    coincide or are missing fold into the others (see the YAML). -#}
with opportunities as (
    select
        opportunity_id,
        primary_account_id,
        created_at,
        created_on
    from {{ ref('fct_opportunities') }}
    where primary_account_id is not null
),

activities as (
    select * from {{ ref('fct_activities') }}
    where primary_account_id is not null
),

touch_types as (
    select * from {{ ref('attribution_touch_types') }}
    where counts_as_touch
),

campaigns as (
    select
        campaign_id,
        campaign_name,
        channel
    from {{ ref('stg_ma__campaigns') }}
),

mqa_events as (
    select
        account_id,
        qualified_on
    from {{ ref('fct_mqa_events') }}
),

touches as (
    select
        opportunities.opportunity_id,
        opportunities.primary_account_id as account_id,
        opportunities.created_at as opportunity_created_at,
        opportunities.created_on as opportunity_created_on,
        activities.activity_key,
        activities.source,
        activities.activity_type,
        activities.occurred_at,
        activities.occurred_on,
        activities.lead_id,
        activities.contact_id,
        activities.campaign_id,
        campaigns.campaign_name,
        case
            when activities.campaign_id is not null then coalesce(campaigns.channel, 'unknown')
            else coalesce(touch_types.channel_without_campaign, activities.source)
        end as channel,
        {{ days_between('activities.occurred_on', 'opportunities.created_on') }} as days_before_creation
    from opportunities
    inner join activities
        on opportunities.primary_account_id = activities.primary_account_id
        and activities.occurred_at <= opportunities.created_at
        and activities.occurred_at >= {{ dbt.dateadd(
            'day', -var('attribution_lookback_days'), 'opportunities.created_at'
        ) }}
    inner join touch_types
        on activities.source = touch_types.source
        and activities.activity_type = touch_types.activity_type
    left join campaigns
        on activities.campaign_id = campaigns.campaign_id
),

numbered as (
    select
        *,
        row_number() over (
            partition by opportunity_id order by occurred_at, activity_key
        ) as touch_number,
        count(*) over (partition by opportunity_id) as touches
    from touches
),

-- the last day the account qualified as an MQA within the window, up to the creation day
mqa_days as (
    select
        opportunities.opportunity_id,
        max(mqa_events.qualified_on) as mqa_on
    from opportunities
    inner join mqa_events
        on opportunities.primary_account_id = mqa_events.account_id
        and mqa_events.qualified_on <= opportunities.created_on
        and mqa_events.qualified_on >= {{ add_days(
            'opportunities.created_on', -var('attribution_lookback_days')
        ) }}
    group by opportunities.opportunity_id
),

mqa_touches as (
    select
        numbered.opportunity_id,
        max(numbered.touch_number) as mqa_touch_number
    from numbered
    inner join mqa_days
        on numbered.opportunity_id = mqa_days.opportunity_id
        and numbered.occurred_on <= mqa_days.mqa_on
    group by numbered.opportunity_id
),

anchored as (
    select
        numbered.*,
        mqa_touches.mqa_touch_number,
        numbered.touch_number = 1 as is_first_touch,
        numbered.touch_number = numbered.touches as is_last_touch,
        coalesce(numbered.touch_number = mqa_touches.mqa_touch_number, false) as is_mqa_touch,
        -- distinct anchors among first, MQA and last touch: 1 to 3
        case when numbered.touches > 1 then 2 else 1 end
        + case
            when mqa_touches.mqa_touch_number > 1 and mqa_touches.mqa_touch_number < numbered.touches then 1
            else 0
        end as w_anchors,
        power(
            cast(2 as {{ type_double() }}),
            -cast(numbered.days_before_creation as {{ type_double() }}) / {{ var('attribution_half_life_days') }}
        ) as decay_weight
    from numbered
    left join mqa_touches
        on numbered.opportunity_id = mqa_touches.opportunity_id
),

final as (
    select
        {{ dbt.concat(["opportunity_id", "'@'", "activity_key"]) }} as attribution_touch_key,
        opportunity_id,
        account_id,
        opportunity_created_at,
        activity_key,
        source,
        activity_type,
        occurred_at,
        occurred_on,
        lead_id,
        contact_id,
        campaign_id,
        campaign_name,
        channel,
        days_before_creation,
        touch_number,
        touches,
        is_first_touch,
        is_mqa_touch,
        is_last_touch,
        cast(case when is_first_touch then 1 else 0 end as {{ type_double() }}) as first_touch_share,
        cast(case when is_last_touch then 1 else 0 end as {{ type_double() }}) as last_touch_share,
        1 / cast(touches as {{ type_double() }}) as linear_share,
        case
            -- every touch is an anchor: equal shares
            when touches = w_anchors then 1 / cast(touches as {{ type_double() }})
            when is_first_touch or is_mqa_touch or is_last_touch
                then (1 - cast({{ var('attribution_w_shaped_rest_share') }} as {{ type_double() }})) / w_anchors
            else cast({{ var('attribution_w_shaped_rest_share') }} as {{ type_double() }}) / (touches - w_anchors)
        end as w_shaped_share,
        -- in exact decimals: a float sum's order varies with the engine's threads (a rebuild
        -- would not give the same table), and a share of a rounded total could pass 1
        cast(
            cast(decay_weight as decimal(38, 24))
            / sum(cast(decay_weight as decimal(38, 24))) over (partition by opportunity_id)
            as {{ type_double() }}
        ) as time_decay_share
    from anchored
)

select * from final
