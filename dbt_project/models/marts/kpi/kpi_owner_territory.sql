{#- The book of every account owner by region and month: accounts owned at the month's
    end, how many engaged and qualified (MQA), the pipeline created and the deals won at
    them in the month. Region from the head office's prefecture (seed
    prefecture_regions). -#}
with accounts_monthly as (
    select * from {{ ref('int_account_tiers_monthly') }}
),

accounts as (
    select
        account_id,
        prefecture
    from {{ ref('dim_accounts') }}
),

regions as (
    select * from {{ ref('prefecture_regions') }}
),

weights as (
    select * from {{ ref('activity_weights') }}
    where is_engagement
),

engaged as (
    select distinct
        engagement.account_id,
        {{ month_start('engagement.activity_date') }} as month
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
),

mqa as (
    select distinct
        account_id,
        qualified_month as month
    from {{ ref('fct_mqa_events') }}
),

created as (
    select
        primary_account_id as account_id,
        created_month as month,
        count(*) as opportunities_created,
        sum(amount_jpy) as pipeline_created_jpy
    from {{ ref('fct_opportunities') }}
    where primary_account_id is not null
    group by primary_account_id, created_month
),

won as (
    select
        primary_account_id as account_id,
        closed_month as month,
        count(*) as deals_won,
        sum(amount_jpy) as won_amount_jpy
    from {{ ref('fct_opportunities') }}
    where is_won and primary_account_id is not null
    group by primary_account_id, closed_month
),

territories as (
    select
        accounts_monthly.account_id,
        accounts_monthly.month,
        accounts_monthly.owner,
        coalesce(regions.region, 'unknown') as region
    from accounts_monthly
    left join accounts
        on accounts_monthly.account_id = accounts.account_id
    left join regions
        on accounts.prefecture = regions.prefecture
),

counts as (
    select
        territories.month,
        territories.owner,
        territories.region,
        count(*) as accounts_owned,
        count(engaged.account_id) as engaged_accounts,
        count(mqa.account_id) as mqa_accounts,
        count(created.account_id) as opportunity_accounts,
        coalesce(sum(created.opportunities_created), 0) as opportunities_created,
        coalesce(sum(created.pipeline_created_jpy), 0) as pipeline_created_jpy,
        count(won.account_id) as won_accounts,
        coalesce(sum(won.deals_won), 0) as deals_won,
        coalesce(sum(won.won_amount_jpy), 0) as won_amount_jpy
    from territories
    left join engaged
        on territories.account_id = engaged.account_id and territories.month = engaged.month
    left join mqa
        on territories.account_id = mqa.account_id and territories.month = mqa.month
    left join created
        on territories.account_id = created.account_id and territories.month = created.month
    left join won
        on territories.account_id = won.account_id and territories.month = won.month
    group by territories.month, territories.owner, territories.region
),

final as (
    select
        {{ dbt.concat(["cast(month as " ~ dbt.type_string() ~ ")", "'|'", "owner", "'|'", "region"]) }}
            as territory_key,
        month,
        owner,
        region,
        accounts_owned,
        engaged_accounts,
        mqa_accounts,
        opportunity_accounts,
        opportunities_created,
        pipeline_created_jpy,
        won_accounts,
        deals_won,
        won_amount_jpy,
        {{ round_to(safe_divide('engaged_accounts', 'accounts_owned'), 4) }} as engagement_rate,
        {{ round_to(safe_divide('mqa_accounts', 'accounts_owned'), 4) }} as mqa_rate
    from counts
)

select * from final
