{#- The key figures rolled up to the parent company: one row per company group (the top
    company of dim_companies.group_corporate_number) with at least one CRM account. -#}
with accounts as (
    select * from {{ ref('dim_accounts') }}
    where account_id = primary_account_id and group_corporate_number is not null
),

companies as (
    select
        corporate_number,
        company_name
    from {{ ref('dim_companies') }}
),

scores as (
    select * from {{ ref('mart_account_scores') }}
    where is_latest
),

engagement as (
    select * from {{ ref('mart_account_engagement') }}
    where is_latest
),

customer_value as (
    select * from {{ ref('kpi_customer_value') }}
),

relationship as (
    select * from {{ ref('kpi_relationship_quality') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

pipeline as (
    select
        opportunities.primary_account_id as account_id,
        sum(case when not opportunities.is_closed then opportunities.amount_jpy else 0 end) as open_pipeline_jpy,
        sum(
            case
                when opportunities.is_won and opportunities.closed_on > {{ add_days('data_date.data_date', -365) }}
                    then opportunities.amount_jpy
                else 0
            end
        ) as won_amount_12m_jpy
    from opportunities
    cross join data_date
    group by opportunities.primary_account_id
),

per_account as (
    select
        accounts.group_corporate_number,
        accounts.account_id,
        accounts.is_customer,
        accounts.abm_tier,
        coalesce(customer_value.arr_jpy, 0) as arr_jpy,
        coalesce(customer_value.arr_12m_ago_jpy, 0) as arr_12m_ago_jpy,
        coalesce(customer_value.products_owned, 0) as products_owned,
        coalesce(customer_value.is_good_customer, false) as is_good_customer,
        coalesce(pipeline.open_pipeline_jpy, 0) as open_pipeline_jpy,
        coalesce(pipeline.won_amount_12m_jpy, 0) as won_amount_12m_jpy,
        coalesce(engagement.points_90d, 0) as points_90d,
        coalesce(engagement.engaged_people_90d, 0) as engaged_people_90d,
        coalesce(scores.is_mqa, false) as is_mqa,
        scores.fit_score,
        scores.engagement_score,
        relationship.relationship_quality_score
    from accounts
    left join customer_value on accounts.account_id = customer_value.account_id
    left join pipeline on accounts.account_id = pipeline.account_id
    left join engagement on accounts.account_id = engagement.account_id
    left join scores on accounts.account_id = scores.account_id
    left join relationship on accounts.account_id = relationship.account_id
),

final as (
    select
        per_account.group_corporate_number,
        companies.company_name as group_name,
        count(*) as accounts,
        sum(case when per_account.is_customer then 1 else 0 end) as customer_accounts,
        sum(case when per_account.is_good_customer then 1 else 0 end) as good_customer_accounts,
        sum(case when per_account.abm_tier is not null then 1 else 0 end) as target_accounts,
        sum(per_account.arr_jpy) as arr_jpy,
        {{ round_to(safe_divide(
            'sum(per_account.arr_jpy)', 'sum(per_account.arr_12m_ago_jpy)'
        ), 4) }} as net_revenue_retention,
        sum(per_account.products_owned) as products_owned,
        sum(per_account.open_pipeline_jpy) as open_pipeline_jpy,
        sum(per_account.won_amount_12m_jpy) as won_amount_12m_jpy,
        sum(per_account.points_90d) as points_90d,
        sum(per_account.engaged_people_90d) as engaged_people_90d,
        sum(case when per_account.is_mqa then 1 else 0 end) as mqa_accounts,
        max(per_account.fit_score) as best_fit_score,
        max(per_account.engagement_score) as best_engagement_score,
        {{ round_to('avg(per_account.relationship_quality_score)', 2) }} as avg_relationship_quality_score
    from per_account
    left join companies
        on per_account.group_corporate_number = companies.corporate_number
    group by per_account.group_corporate_number, companies.company_name
)

select * from final
