{#- Interest in each product, per account (its company's primary account), product and
    local day: visits to the product's page and responses (registrations, attendance,
    clicks, downloads) to campaigns about it. One row per account, product and day with
    any. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
    where primary_account_id is not null
        and source = 'ma'
),

campaigns as (
    select
        campaign_id,
        product_id
    from {{ ref('stg_ma__campaigns') }}
    where product_id is not null
),

products as (
    select product_id from {{ ref('stg_crm__products') }}
),

page_visits as (
    select
        activities.primary_account_id as account_id,
        activities.occurred_on as activity_date,
        products.product_id,
        count(*) as product_page_visits,
        0 as campaign_responses
    from activities
    inner join products
        on activities.url like {{ dbt.concat(["'%/products/'", "products.product_id"]) }}
    where activities.activity_type = 'web_visit'
    group by activities.primary_account_id, activities.occurred_on, products.product_id
),

campaign_responses as (
    select
        activities.primary_account_id as account_id,
        activities.occurred_on as activity_date,
        campaigns.product_id,
        0 as product_page_visits,
        count(*) as campaign_responses
    from activities
    inner join campaigns
        on activities.campaign_id = campaigns.campaign_id
    where
        activities.activity_type in (
            'email_click', 'content_download', 'event_registration', 'event_attendance', 'form_submit'
        )
    group by activities.primary_account_id, activities.occurred_on, campaigns.product_id
),

unioned as (
    select * from page_visits
    union all
    select * from campaign_responses
),

final as (
    select
        account_id,
        activity_date,
        product_id,
        sum(product_page_visits) as product_page_visits,
        sum(campaign_responses) as campaign_responses
    from unioned
    group by account_id, activity_date, product_id
)

select * from final
