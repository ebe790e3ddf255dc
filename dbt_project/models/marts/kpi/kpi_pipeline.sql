{#- Pipeline by month, product and ABM tier (the account's tier when the deal was
    created): created, won and lost (count and amount), win rate, average deal, sales
    cycle, open pipeline at month end and pipeline velocity. -#}
with opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

months as (
    select * from {{ ref('int_months') }}
),

products as (
    select product_id from {{ ref('stg_crm__products') }}
),

tiers as (
    select distinct abm_tier_at_creation as abm_tier from opportunities
),

grid as (
    select
        months.month,
        months.month_end,
        products.product_id,
        tiers.abm_tier
    from months
    cross join products
    cross join tiers
),

created as (
    select
        created_month as month,
        product_id,
        abm_tier_at_creation as abm_tier,
        count(*) as created_count,
        sum(amount_jpy) as created_amount_jpy
    from opportunities
    group by created_month, product_id, abm_tier_at_creation
),

closed as (
    select
        closed_month as month,
        product_id,
        abm_tier_at_creation as abm_tier,
        sum(case when is_won then 1 else 0 end) as won_count,
        sum(case when is_won then amount_jpy else 0 end) as won_amount_jpy,
        sum(case when is_lost then 1 else 0 end) as lost_count,
        sum(case when is_lost then amount_jpy else 0 end) as lost_amount_jpy,
        avg(case when is_won then cycle_days end) as avg_cycle_days
    from opportunities
    where is_closed
    group by closed_month, product_id, abm_tier_at_creation
),

open_at_month_end as (
    select
        grid.month,
        grid.product_id,
        grid.abm_tier,
        count(opportunities.opportunity_id) as open_count,
        coalesce(sum(opportunities.amount_jpy), 0) as open_amount_jpy
    from grid
    inner join opportunities
        on opportunities.product_id = grid.product_id
        and opportunities.abm_tier_at_creation = grid.abm_tier
        and opportunities.created_on <= grid.month_end
        and (opportunities.closed_on is null or opportunities.closed_on > grid.month_end)
    group by grid.month, grid.product_id, grid.abm_tier
),

joined as (
    select
        grid.month,
        grid.product_id,
        grid.abm_tier,
        coalesce(created.created_count, 0) as created_count,
        coalesce(created.created_amount_jpy, 0) as created_amount_jpy,
        coalesce(closed.won_count, 0) as won_count,
        coalesce(closed.won_amount_jpy, 0) as won_amount_jpy,
        coalesce(closed.lost_count, 0) as lost_count,
        coalesce(closed.lost_amount_jpy, 0) as lost_amount_jpy,
        closed.avg_cycle_days,
        coalesce(open_at_month_end.open_count, 0) as open_count,
        coalesce(open_at_month_end.open_amount_jpy, 0) as open_amount_jpy
    from grid
    left join created
        on grid.month = created.month and grid.product_id = created.product_id and grid.abm_tier = created.abm_tier
    left join closed
        on grid.month = closed.month and grid.product_id = closed.product_id and grid.abm_tier = closed.abm_tier
    left join open_at_month_end
        on grid.month = open_at_month_end.month and grid.product_id = open_at_month_end.product_id
        and grid.abm_tier = open_at_month_end.abm_tier
),

final as (
    select
        {{ dbt.concat([
            "cast(month as " ~ dbt.type_string() ~ ")", "'|'", "product_id", "'|'", "abm_tier"
        ]) }} as pipeline_key,
        month,
        product_id,
        abm_tier,
        created_count,
        created_amount_jpy,
        won_count,
        won_amount_jpy,
        lost_count,
        lost_amount_jpy,
        {{ round_to(safe_divide('won_count', 'won_count + lost_count'), 4) }} as win_rate,
        {{ round_to(safe_divide('won_amount_jpy', 'won_count'), 0) }} as average_deal_jpy,
        {{ round_to('avg_cycle_days', 1) }} as avg_cycle_days,
        open_count,
        open_amount_jpy,
        -- expected bookings per day: open deals x win rate x average deal / cycle days
        {{ round_to(safe_divide(
            'open_count * ' ~ safe_divide('won_count', 'won_count + lost_count')
            ~ ' * ' ~ safe_divide('won_amount_jpy', 'won_count'),
            'avg_cycle_days'
        ), 0) }} as pipeline_velocity_jpy_per_day
    from joined
)

select * from final
