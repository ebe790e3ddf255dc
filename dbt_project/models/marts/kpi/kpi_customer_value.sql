{#- Customer value per account (primary accounts that ever held a contract), as of the
    data date: ARR now and a year ago, net and gross revenue retention, products owned,
    tenure, revenue to date, lifetime value, and the customer segment (優良顧客 / 一般顧客)
    the customer_segments seed defines. -#}
with data_date as (
    select data_date from {{ ref('int_data_date') }}
),

-- terms started by the data date: a term signed to start later (a renewal or a first
-- contract booked ahead) has earned nothing and makes no customer yet
contracts as (
    select * from {{ ref('fct_contracts') }}
    where primary_account_id is not null
        and started_on <= (select data_date.data_date from data_date)
),

segments as (
    select * from {{ ref('customer_segments') }}
),

per_account as (
    select
        contracts.primary_account_id as account_id,
        min(contracts.started_on) as customer_since,
        sum(
            case
                when contracts.started_on <= data_date.data_date
                    and contracts.ended_on >= data_date.data_date
                    then contracts.annual_amount_jpy
                else 0
            end
        ) as arr_jpy,
        sum(
            case
                when contracts.started_on <= {{ add_days('data_date.data_date', -365) }}
                    and contracts.ended_on >= {{ add_days('data_date.data_date', -365) }}
                    then contracts.annual_amount_jpy
                else 0
            end
        ) as arr_12m_ago_jpy,
        count(
            distinct case
                when contracts.started_on <= data_date.data_date
                    and contracts.ended_on >= data_date.data_date
                    then contracts.product_id
            end
        ) as products_owned,
        -- each term earns its annual amount pro rata over the days elapsed
        sum(contracts.annual_amount_jpy * least(
            contracts.term_days,
            {{ days_between('contracts.started_on', 'data_date.data_date') }} + 1
        ) / 365.0) as revenue_to_date_jpy,
        max(data_date.data_date) as as_of_date
    from contracts
    cross join data_date
    group by contracts.primary_account_id
),

retention as (
    select
        *,
        case when arr_12m_ago_jpy > 0 then {{ safe_divide('arr_jpy', 'arr_12m_ago_jpy') }} end as net_revenue_retention,
        case
            when arr_12m_ago_jpy > 0 then {{ safe_divide('least(arr_jpy, arr_12m_ago_jpy)', 'arr_12m_ago_jpy') }}
        end as gross_revenue_retention,
        {{ days_between('customer_since', 'as_of_date') }} as tenure_days
    from per_account
),

portfolio as (
    -- the whole book's gross retention gives the expected customer lifetime
    select {{ safe_divide('sum(least(arr_jpy, arr_12m_ago_jpy))', 'sum(arr_12m_ago_jpy)') }} as gross_revenue_retention
    from per_account
    where arr_12m_ago_jpy > 0
),

segmented as (
    select
        retention.account_id,
        segments.segment,
        row_number() over (partition by retention.account_id order by segments.priority) as segment_rank
    from retention
    inner join segments
        on retention.arr_jpy > 0
        and retention.arr_jpy >= segments.min_arr_jpy
        and retention.tenure_days >= segments.min_tenure_days
        and coalesce(retention.gross_revenue_retention, 1) >= segments.min_gross_revenue_retention
),

final as (
    select
        retention.account_id,
        retention.as_of_date,
        retention.arr_jpy > 0 as is_customer,
        retention.customer_since,
        retention.tenure_days,
        retention.arr_jpy,
        retention.arr_12m_ago_jpy,
        {{ round_to('retention.net_revenue_retention', 4) }} as net_revenue_retention,
        {{ round_to('retention.gross_revenue_retention', 4) }} as gross_revenue_retention,
        retention.products_owned,
        {{ round_to('retention.revenue_to_date_jpy', 0) }} as revenue_to_date_jpy,
        -- what the account has paid, plus its ARR over the expected remaining lifetime
        -- (1 / annual gross churn of the book, at most ltv_max_years)
        {{ round_to(
            'retention.revenue_to_date_jpy + retention.arr_jpy * least('
            ~ var('ltv_max_years') ~ ', 1.0 / nullif(1 - portfolio.gross_revenue_retention, 0))',
            0
        ) }} as lifetime_value_jpy,
        coalesce(
            segmented.segment, case when retention.arr_jpy > 0 then 'unsegmented' else 'former_customer' end
        ) as customer_segment,
        coalesce(
            segmented.segment = (
                select segments.segment from segments
                where segments.priority = 1
            ),
            false
        ) as is_good_customer
    from retention
    cross join portfolio
    left join segmented
        on retention.account_id = segmented.account_id
        and segmented.segment_rank = 1
)

select * from final
