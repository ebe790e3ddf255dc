{#- The book of every account owner by region and month: accounts owned at the month's
    end, how many engaged and qualified (MQA), the pipeline created and the deals won at
    them in the month. Region from the head office's prefecture (seed
    prefecture_regions). Accounts are ABM accounts (customers and prospects); a prospect,
    with no CRM owner yet, is in the unassigned book. -#}
with accounts_monthly as (
    select * from {{ ref('int_account_tiers_monthly') }}
),

accounts as (
    select
        account_key,
        prefecture
    from {{ ref('dim_abm_accounts') }}
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
        engagement.account_key,
        {{ month_start('engagement.activity_date') }} as month
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
),

mqa as (
    select distinct
        account_key,
        qualified_month as month
    from {{ ref('fct_mqa_events') }}
),

-- deals stay on CRM accounts: reached through the ABM account of their primary account
deals as (
    select
        abm_accounts.account_key,
        opportunities.created_month,
        opportunities.closed_month,
        opportunities.amount_jpy,
        opportunities.is_won
    from {{ ref('fct_opportunities') }} as opportunities
    inner join {{ ref('dim_abm_accounts') }} as abm_accounts
        on opportunities.primary_account_id = abm_accounts.crm_account_id
),

created as (
    select
        account_key,
        created_month as month,
        count(*) as opportunities_created,
        sum(amount_jpy) as pipeline_created_jpy
    from deals
    group by account_key, created_month
),

won as (
    select
        account_key,
        closed_month as month,
        count(*) as deals_won,
        sum(amount_jpy) as won_amount_jpy
    from deals
    where is_won
    group by account_key, closed_month
),

territories as (
    select
        accounts_monthly.account_key,
        accounts_monthly.month,
        accounts_monthly.owner,
        coalesce(regions.region, 'unknown') as region
    from accounts_monthly
    left join accounts
        on accounts_monthly.account_key = accounts.account_key
    left join regions
        on accounts.prefecture = regions.prefecture
),

counts as (
    select
        territories.month,
        territories.owner,
        territories.region,
        count(*) as accounts_owned,
        count(engaged.account_key) as engaged_accounts,
        count(mqa.account_key) as mqa_accounts,
        count(created.account_key) as opportunity_accounts,
        coalesce(sum(created.opportunities_created), 0) as opportunities_created,
        coalesce(sum(created.pipeline_created_jpy), 0) as pipeline_created_jpy,
        count(won.account_key) as won_accounts,
        coalesce(sum(won.deals_won), 0) as deals_won,
        coalesce(sum(won.won_amount_jpy), 0) as won_amount_jpy
    from territories
    left join engaged
        on territories.account_key = engaged.account_key and territories.month = engaged.month
    left join mqa
        on territories.account_key = mqa.account_key and territories.month = mqa.month
    left join created
        on territories.account_key = created.account_key and territories.month = created.month
    left join won
        on territories.account_key = won.account_key and territories.month = won.month
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
