{#- KPI targets (seed kpi_targets) against actuals by month: the actual, the gap and the
    attainment, for every metric, tier and month a target applies to, up to the data date. -#}
with targets as (
    select * from {{ ref('kpi_targets') }}
),

funnel as (
    select * from {{ ref('kpi_abm_funnel') }}
),

pipeline as (
    select * from {{ ref('kpi_pipeline') }}
),

months as (
    select month from {{ ref('int_months') }}
),

funnel_actuals as (
    {% for metric in ['engaged_accounts', 'mqa_accounts'] %}
    select
        cohort_month as month,
        '{{ metric }}' as metric,
        abm_tier,
        cast({{ metric }} as {{ type_double() }}) as actual
    from funnel
    union all
    select
        cohort_month as month,
        '{{ metric }}' as metric,
        'all' as abm_tier,
        cast(sum({{ metric }}) as {{ type_double() }}) as actual
    from funnel
    group by cohort_month
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

pipeline_by_tier as (
    select
        month,
        abm_tier,
        sum(created_count) as opportunities_created,
        sum(created_amount_jpy) as pipeline_created_jpy,
        sum(won_amount_jpy) as won_amount_jpy,
        sum(won_count) as won_count,
        sum(lost_count) as lost_count
    from pipeline
    group by month, abm_tier
    union all
    select
        month,
        'all' as abm_tier,
        sum(created_count) as opportunities_created,
        sum(created_amount_jpy) as pipeline_created_jpy,
        sum(won_amount_jpy) as won_amount_jpy,
        sum(won_count) as won_count,
        sum(lost_count) as lost_count
    from pipeline
    group by month
),

pipeline_actuals as (
    {% for metric in ['opportunities_created', 'pipeline_created_jpy', 'won_amount_jpy'] %}
    select month, '{{ metric }}' as metric, abm_tier, cast({{ metric }} as {{ type_double() }}) as actual
    from pipeline_by_tier
    union all
    {% endfor %}
    select month, 'win_rate' as metric, abm_tier, {{ safe_divide('won_count', 'won_count + lost_count') }} as actual
    from pipeline_by_tier
),

actuals as (
    select * from funnel_actuals
    union all
    select * from pipeline_actuals
),

targets_by_month as (
    select
        months.month,
        targets.metric,
        targets.abm_tier,
        targets.monthly_target,
        row_number() over (
            partition by months.month, targets.metric, targets.abm_tier
            order by targets.valid_from desc
        ) as target_rank
    from months
    inner join targets
        on targets.valid_from <= months.month
),

final as (
    select
        {{ dbt.concat([
            "cast(targets_by_month.month as " ~ dbt.type_string() ~ ")", "'|'",
            "targets_by_month.metric", "'|'", "targets_by_month.abm_tier"
        ]) }} as target_key,
        targets_by_month.month,
        targets_by_month.metric,
        targets_by_month.abm_tier,
        targets_by_month.monthly_target as target,
        coalesce(actuals.actual, 0) as actual,
        coalesce(actuals.actual, 0) - targets_by_month.monthly_target as gap,
        {{ round_to(safe_divide('coalesce(actuals.actual, 0)', 'targets_by_month.monthly_target'), 4) }} as attainment
    from targets_by_month
    left join actuals
        on targets_by_month.month = actuals.month
        and targets_by_month.metric = actuals.metric
        and targets_by_month.abm_tier = actuals.abm_tier
    where targets_by_month.target_rank = 1
)

select * from final
