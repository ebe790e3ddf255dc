{#- Every CRM account (primary accounts) that existed at the ML cutoff x product: cross-sell
    is a question for customers and CRM accounts, not for prospects. what the account had of the
    product by the end of the cutoff day (owned under a contract in force, included in
    an owned product (seed ml_product_inclusions), a deal open, deals lost), its interest in it (product page visits, responses to campaigns about
    it), and labels looking forward (a deal for the product created in the label window;
    won). The cross-sell model trains on the labelled cutoffs and scores the latest. -#}
with spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
    where account_id is not null
),

products as (
    select * from {{ ref('stg_crm__products') }}
),

contracts as (
    select * from {{ ref('fct_contracts') }}
    where primary_account_id is not null
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where primary_account_id is not null
),

stage_history as (
    select * from {{ ref('fct_opportunity_stage_history') }}
),

interest as (
    select * from {{ ref('int_ml_product_signals_daily') }}
),

inclusions as (
    select * from {{ ref('ml_product_inclusions') }}
),

account_products as (
    select
        spine.account_id,
        spine.cutoff_date,
        spine.is_scoring_date,
        spine.is_label_complete,
        spine.label_window_end,
        products.product_id,
        products.product_family,
        products.list_price_jpy
    from spine
    cross join products
),

ownership as (
    select
        account_products.account_id,
        account_products.cutoff_date,
        account_products.product_id,
        max(case when contracts.ended_on >= account_products.cutoff_date then 1 else 0 end) as is_owned,
        min(contracts.started_on) as first_owned_on
    from account_products
    inner join contracts
        on account_products.account_id = contracts.primary_account_id
        and account_products.product_id = contracts.product_id
        and contracts.started_on <= account_products.cutoff_date
    group by account_products.account_id, account_products.cutoff_date, account_products.product_id
),

-- products an owned product includes (Core when Pro is owned): not for sale to it
included as (
    select
        ownership.account_id,
        ownership.cutoff_date,
        inclusions.included_product_id as product_id,
        1 as is_included
    from ownership
    inner join inclusions
        on ownership.product_id = inclusions.product_id
    where ownership.is_owned = 1
    group by ownership.account_id, ownership.cutoff_date, inclusions.included_product_id
),

deals as (
    select
        account_products.account_id,
        account_products.cutoff_date,
        account_products.product_id,
        count(*) as opportunities_before,
        sum(case when stage_history.stage not in ('closed_won', 'closed_lost') then 1 else 0 end) as open_opportunities,
        sum(case when stage_history.stage = 'closed_lost' then 1 else 0 end) as lost_deals,
        min(
            case
                when stage_history.stage = 'closed_lost'
                    then {{ days_between('opportunities.closed_on', 'account_products.cutoff_date') }}
            end
        ) as days_since_lost
    from account_products
    inner join opportunities
        on account_products.account_id = opportunities.primary_account_id
        and account_products.product_id = opportunities.product_id
        and opportunities.created_on <= account_products.cutoff_date
    left join stage_history
        on opportunities.opportunity_id = stage_history.opportunity_id
        and {{ valid_at('stage_history', local_day_end('account_products.cutoff_date')) }}
    group by account_products.account_id, account_products.cutoff_date, account_products.product_id
),

interest_windows as (
    select
        spine.account_id,
        spine.cutoff_date,
        interest.product_id,
        sum(
            case
                when {{ days_between('interest.activity_date', 'spine.cutoff_date') }} < 30
                    then interest.product_page_visits
                else 0
            end
        ) as product_page_visits_30d,
        sum(
            case
                when {{ days_between('interest.activity_date', 'spine.cutoff_date') }} < 180
                    then interest.product_page_visits
                else 0
            end
        ) as product_page_visits_180d,
        sum(
            case
                when {{ days_between('interest.activity_date', 'spine.cutoff_date') }} < 180
                    then interest.campaign_responses
                else 0
            end
        ) as campaign_responses_180d,
        sum(interest.product_page_visits + interest.campaign_responses) as interest_365d
    from spine
    inner join interest
        on spine.account_id = interest.account_id
        and interest.activity_date <= spine.cutoff_date
        and interest.activity_date > {{ add_days('spine.cutoff_date', -365) }}
    group by spine.account_id, spine.cutoff_date, interest.product_id
),

-- which products the account's interest goes to: a product's share of the year's page
-- visits and campaign responses (a need shows as reading about one product more)
interest_shares as (
    select
        account_id,
        cutoff_date,
        product_id,
        interest_365d,
        interest_365d / cast(
            sum(interest_365d) over (partition by account_id, cutoff_date) as {{ type_double() }}
        ) as interest_share_365d
    from interest_windows
),

future_deals as (
    select
        account_products.account_id,
        account_products.cutoff_date,
        account_products.product_id,
        count(*) as opportunities_next,
        sum(case when opportunities.is_won then 1 else 0 end) as wins_next
    from account_products
    inner join opportunities
        on account_products.account_id = opportunities.primary_account_id
        and account_products.product_id = opportunities.product_id
        and opportunities.created_on > account_products.cutoff_date
        and opportunities.created_on <= account_products.label_window_end
    where account_products.is_label_complete
    group by account_products.account_id, account_products.cutoff_date, account_products.product_id
),

final as (
    select
        {{ dbt.concat([
            "account_products.account_id", "'@'",
            "cast(account_products.cutoff_date as " ~ dbt.type_string() ~ ")", "'@'",
            "account_products.product_id"
        ]) }} as account_cutoff_product_key,
        account_products.account_id,
        account_products.cutoff_date,
        account_products.is_scoring_date,
        account_products.is_label_complete,
        account_products.product_id,
        account_products.product_family,
        account_products.list_price_jpy,
        coalesce(ownership.is_owned, 0) as is_owned,
        case when coalesce(ownership.is_owned, 0) = 0 then coalesce(included.is_included, 0) else 0 end as is_included,
        case
            when ownership.first_owned_on is not null and coalesce(ownership.is_owned, 0) = 0 then 1 else 0
        end as was_owned,
        coalesce(deals.opportunities_before, 0) as opportunities_before,
        coalesce(deals.open_opportunities, 0) as open_opportunities,
        coalesce(deals.lost_deals, 0) as lost_deals,
        coalesce(deals.days_since_lost, 3650) as days_since_lost,
        coalesce(interest_windows.product_page_visits_30d, 0) as product_page_visits_30d,
        coalesce(interest_windows.product_page_visits_180d, 0) as product_page_visits_180d,
        coalesce(interest_windows.campaign_responses_180d, 0) as campaign_responses_180d,
        coalesce(interest_shares.interest_365d, 0) as interest_365d,
        {{ round_to('coalesce(interest_shares.interest_share_365d, 0)', 4) }} as interest_share_365d,
        case
            when account_products.is_label_complete
                then case when future_deals.opportunities_next > 0 then 1 else 0 end
        end as label_opportunity_90d,
        case
            when account_products.is_label_complete
                then case when future_deals.wins_next > 0 then 1 else 0 end
        end as label_won_90d
    from account_products
    left join ownership
        on account_products.account_id = ownership.account_id
        and account_products.cutoff_date = ownership.cutoff_date
        and account_products.product_id = ownership.product_id
    left join included
        on account_products.account_id = included.account_id
        and account_products.cutoff_date = included.cutoff_date
        and account_products.product_id = included.product_id
    left join deals
        on account_products.account_id = deals.account_id
        and account_products.cutoff_date = deals.cutoff_date
        and account_products.product_id = deals.product_id
    left join interest_windows
        on account_products.account_id = interest_windows.account_id
        and account_products.cutoff_date = interest_windows.cutoff_date
        and account_products.product_id = interest_windows.product_id
    left join interest_shares
        on account_products.account_id = interest_shares.account_id
        and account_products.cutoff_date = interest_shares.cutoff_date
        and account_products.product_id = interest_shares.product_id
    left join future_deals
        on account_products.account_id = future_deals.account_id
        and account_products.cutoff_date = future_deals.cutoff_date
        and account_products.product_id = future_deals.product_id
)

select * from final
