{#- Campaign performance, one row per campaign: leads and accounts it touched, those that
    engaged, and the pipeline it influenced (opportunities created at a touched account
    within campaign_influence_days after the campaign first touched it). Influence is not
    attribution: every campaign that touched an account gets the whole of each deal, so
    influence adds up to several times the pipeline; kpi_campaign_attribution splits it. -#}
with campaigns as (
    select * from {{ ref('stg_ma__campaigns') }}
),

activities as (
    select * from {{ ref('fct_activities') }}
    where source = 'ma' and campaign_id is not null
),

weights as (
    select
        source,
        activity_type,
        is_engagement
    from {{ ref('activity_weights') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where primary_account_id is not null
),

touches as (
    select
        activities.campaign_id,
        activities.lead_id,
        activities.primary_account_id as account_id,
        activities.occurred_on,
        coalesce(weights.is_engagement, false) as is_engagement
    from activities
    left join weights
        on activities.source = weights.source
        and activities.activity_type = weights.activity_type
),

account_first_touch as (
    select
        campaign_id,
        account_id,
        min(occurred_on) as first_touched_on
    from touches
    where account_id is not null
    group by campaign_id, account_id
),

influenced as (
    select
        account_first_touch.campaign_id,
        count(distinct opportunities.opportunity_id) as influenced_opportunities,
        coalesce(sum(opportunities.amount_jpy), 0) as influenced_pipeline_jpy,
        coalesce(sum(case when opportunities.is_won then opportunities.amount_jpy else 0 end), 0) as influenced_won_jpy
    from account_first_touch
    inner join opportunities
        on account_first_touch.account_id = opportunities.primary_account_id
        and opportunities.created_on >= account_first_touch.first_touched_on
        and opportunities.created_on <= {{ add_days(
            'account_first_touch.first_touched_on', var('campaign_influence_days')
        ) }}
    group by account_first_touch.campaign_id
),

reach as (
    select
        campaign_id,
        count(distinct lead_id) as touched_leads,
        count(distinct account_id) as touched_accounts,
        count(distinct case when is_engagement then lead_id end) as engaged_leads,
        count(distinct case when is_engagement then account_id end) as engaged_accounts
    from touches
    group by campaign_id
),

final as (
    select
        campaigns.campaign_id,
        campaigns.campaign_name,
        campaigns.channel,
        campaigns.product_id,
        campaigns.started_on,
        campaigns.ended_on,
        campaigns.cost_jpy,
        coalesce(reach.touched_leads, 0) as touched_leads,
        coalesce(reach.touched_accounts, 0) as touched_accounts,
        coalesce(reach.engaged_leads, 0) as engaged_leads,
        coalesce(reach.engaged_accounts, 0) as engaged_accounts,
        coalesce(influenced.influenced_opportunities, 0) as influenced_opportunities,
        coalesce(influenced.influenced_pipeline_jpy, 0) as influenced_pipeline_jpy,
        coalesce(influenced.influenced_won_jpy, 0) as influenced_won_jpy,
        {{ round_to(safe_divide('campaigns.cost_jpy', 'reach.touched_accounts'), 0) }} as cost_per_touched_account_jpy,
        {{ round_to(safe_divide('influenced.influenced_pipeline_jpy', 'campaigns.cost_jpy'), 2) }}
            as influenced_pipeline_per_cost
    from campaigns
    left join reach
        on campaigns.campaign_id = reach.campaign_id
    left join influenced
        on campaigns.campaign_id = influenced.campaign_id
)

select * from final
