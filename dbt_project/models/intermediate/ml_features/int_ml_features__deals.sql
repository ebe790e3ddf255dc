{#- One row per ABM account per ML cutoff (int_ml_account_cutoffs): the deals of its
    primary CRM account created by the cutoff, in the stage and amount they had then, and
    lost deals followed by a new one within a year; null when none. A feature family of
    mart_account_features. -#}
{#- the windows (vars ml_feature_*_days) -#}
{%- set quarter_days = var('ml_feature_quarter_days') %}
{%- set year_days = var('ml_feature_year_days') %}
with spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
),

-- deals stay on CRM accounts: reached through the ABM account of their primary account
opportunities as (
    select * from {{ ref('int_ml_opportunities') }}
),

stage_history as (
    select * from {{ ref('fct_opportunity_stage_history') }}
),

products as (
    select
        product_id,
        list_price_jpy
    from {{ ref('stg_crm__products') }}
),

-- deals created by the cutoff, in the stage and amount they had then
deals_at_cutoff as (
    select
        spine.account_key,
        spine.cutoff_date,
        opportunities.opportunity_id,
        opportunities.created_on,
        case when opportunities.closed_on <= spine.cutoff_date then opportunities.closed_on end as closed_on,
        stage_history.stage,
        stage_history.stage_order,
        stage_history.amount_jpy,
        products.list_price_jpy
    from spine
    inner join opportunities
        on spine.account_key = opportunities.account_key
        and opportunities.created_on <= spine.cutoff_date
    left join stage_history
        on opportunities.opportunity_id = stage_history.opportunity_id
        and {{ valid_at('stage_history', local_day_end('spine.cutoff_date')) }}
    left join products
        on opportunities.product_id = products.product_id
),

deal_history as (
    select
        account_key,
        cutoff_date,
        count(*) as opportunities_total,
        sum(
            case when {{ days_between('created_on', 'cutoff_date') }} < {{ quarter_days }} then 1 else 0 end
        ) as opportunities_90d,
        sum(
            case when {{ days_between('created_on', 'cutoff_date') }} < {{ year_days }} then 1 else 0 end
        ) as opportunities_365d,
        sum(case when stage not in ('closed_won', 'closed_lost') then 1 else 0 end) as open_opportunities,
        max(case when stage not in ('closed_won', 'closed_lost') then stage_order end) as open_max_stage,
        sum(case when stage not in ('closed_won', 'closed_lost') then amount_jpy else 0 end) as open_pipeline_jpy,
        sum(case when stage = 'closed_won' then 1 else 0 end) as won_deals,
        sum(
            case
                when stage = 'closed_won' and {{ days_between('closed_on', 'cutoff_date') }} < {{ year_days }}
                    then 1
                else 0
            end
        ) as won_deals_365d,
        sum(case when stage = 'closed_lost' then 1 else 0 end) as lost_deals,
        sum(
            case
                when stage = 'closed_lost' and {{ days_between('closed_on', 'cutoff_date') }} < {{ year_days }}
                    then 1
                else 0
            end
        ) as lost_deals_365d,
        min({{ days_between('created_on', 'cutoff_date') }}) as days_since_opportunity,
        min(case when stage = 'closed_won' then {{ days_between('closed_on', 'cutoff_date') }} end) as days_since_win,
        min(case when stage = 'closed_lost' then {{ days_between('closed_on', 'cutoff_date') }} end) as days_since_loss,
        -- exact decimal sums: a float sum depends on the order threads add rows in
        avg(cast({{ safe_divide('amount_jpy', 'list_price_jpy') }} as decimal(18, 6))) as deal_size_index
    from deals_at_cutoff
    group by account_key, cutoff_date
),

reproposals as (
    select
        lost.account_key,
        lost.cutoff_date,
        count(distinct case when later.opportunity_id is not null then lost.opportunity_id end) as lost_deals_reproposed
    from deals_at_cutoff as lost
    left join deals_at_cutoff as later
        on later.account_key = lost.account_key
        and later.cutoff_date = lost.cutoff_date
        and later.created_on > lost.closed_on
        and later.created_on <= {{ add_days('lost.closed_on', year_days) }}
    where lost.stage = 'closed_lost'
    group by lost.account_key, lost.cutoff_date
),

final as (
    select
        spine.account_key,
        spine.cutoff_date,
        deal_history.opportunities_total,
        deal_history.opportunities_90d,
        deal_history.opportunities_365d,
        deal_history.open_opportunities,
        deal_history.open_max_stage,
        deal_history.open_pipeline_jpy,
        deal_history.won_deals,
        deal_history.won_deals_365d,
        deal_history.lost_deals,
        deal_history.lost_deals_365d,
        deal_history.days_since_opportunity,
        deal_history.days_since_win,
        deal_history.days_since_loss,
        deal_history.deal_size_index,
        reproposals.lost_deals_reproposed
    from spine
    left join deal_history
        on spine.account_key = deal_history.account_key and spine.cutoff_date = deal_history.cutoff_date
    left join reproposals
        on spine.account_key = reproposals.account_key and spine.cutoff_date = reproposals.cutoff_date
)

select * from final
