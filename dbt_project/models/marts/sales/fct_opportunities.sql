{#- Deals, one row each in their latest state (also those naming an account or product
    the export left out: flagged, not dropped), with the account's company, the product,
    the ABM tier the account had when the deal was created (dim_accounts_history as of
    then) and the length of the sales cycle. -#}
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

products as (
    select * from {{ ref('stg_crm__products') }}
),

account_matches as (
    select * from {{ ref('int_account_company_matches') }}
),

account_history as (
    select * from {{ ref('dim_accounts_history') }}
),

first_states as (
    select
        account_id,
        abm_tier
    from (
        select
            account_id,
            abm_tier,
            row_number() over (partition by account_id order by valid_from) as state_number
        from account_history
    ) as numbered
    where state_number = 1
),

tier_at_creation as (
    select
        opportunities.opportunity_id,
        -- before the account's history starts (deals of the initial export), its first
        -- recorded state stands in
        coalesce(max(account_history.abm_tier), max(first_states.abm_tier)) as abm_tier,
        max(case when account_history.account_id is null then 1 else 0 end) = 1 as is_tier_inferred
    from opportunities
    left join account_history
        on opportunities.account_id = account_history.account_id
        and {{ valid_at('account_history', 'opportunities.created_at') }}
    left join first_states
        on opportunities.account_id = first_states.account_id
    group by opportunities.opportunity_id
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        account_matches.primary_account_id,
        account_matches.corporate_number,
        opportunities.product_id,
        products.product_name,
        products.product_family,
        opportunities.stage,
        opportunities.amount_jpy,
        opportunities.created_at,
        opportunities.created_on,
        {{ month_start('opportunities.created_on') }} as created_month,
        opportunities.close_date,
        case when opportunities.is_closed then opportunities.close_date end as closed_on,
        case when opportunities.is_closed then {{ month_start('opportunities.close_date') }} end as closed_month,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.is_closed and not opportunities.is_won as is_lost,
        opportunities.lost_reason,
        case
            when opportunities.is_closed
                then {{ days_between('opportunities.created_on', 'opportunities.close_date') }}
        end as cycle_days,
        coalesce(tier_at_creation.abm_tier, 'untiered') as abm_tier_at_creation,
        tier_at_creation.is_tier_inferred,
        -- false for a reference to a row the export never delivered (the row is kept)
        account_matches.account_id is not null as has_known_account,
        case when opportunities.product_id is not null then products.product_id is not null end as has_known_product,
        opportunities.updated_at
    from opportunities
    left join products
        on opportunities.product_id = products.product_id
    left join account_matches
        on opportunities.account_id = account_matches.account_id
    left join tier_at_creation
        on opportunities.opportunity_id = tier_at_creation.opportunity_id
)

select * from final
