{#- MQA follow-up per account owner and month of qualification: how many MQAs, how many
    sales touched and turned into an opportunity within the service levels of seed
    mqa_sla, and how long each step took. -#}
with follow_up as (
    select * from {{ ref('kpi_mqa_follow_up') }}
),

counts as (
    select
        owner,
        qualified_month as month,
        count(*) as mqas,
        count(distinct account_key) as mqa_accounts,
        {{ median('days_to_mqa') }} as median_days_to_mqa,
        avg(days_to_mqa) as avg_days_to_mqa,
        sum(case when first_touched_on is not null then 1 else 0 end) as touched_mqas,
        sum(case when is_first_touch_within_sla is not null then 1 else 0 end) as first_touch_due_mqas,
        sum(case when is_first_touch_within_sla then 1 else 0 end) as touched_within_sla_mqas,
        sum(case when is_first_touch_window_open then 1 else 0 end) as first_touch_open_mqas,
        {{ median('days_to_first_touch') }} as median_days_to_first_touch,
        avg(days_to_first_touch) as avg_days_to_first_touch,
        sum(case when first_opportunity_on is not null then 1 else 0 end) as opportunity_mqas,
        sum(case when is_opportunity_within_sla is not null then 1 else 0 end) as opportunity_due_mqas,
        sum(case when is_opportunity_within_sla then 1 else 0 end) as opportunity_within_sla_mqas,
        sum(case when is_opportunity_window_open then 1 else 0 end) as opportunity_open_mqas,
        {{ median('days_to_opportunity') }} as median_days_to_opportunity,
        avg(days_to_opportunity) as avg_days_to_opportunity
    from follow_up
    group by owner, qualified_month
),

final as (
    select
        {{ dbt.concat(["cast(month as " ~ dbt.type_string() ~ ")", "'|'", "owner"]) }} as owner_month_key,
        owner,
        month,
        mqas,
        mqa_accounts,
        {{ round_to('median_days_to_mqa', 1) }} as median_days_to_mqa,
        {{ round_to('avg_days_to_mqa', 1) }} as avg_days_to_mqa,
        touched_mqas,
        first_touch_due_mqas,
        touched_within_sla_mqas,
        first_touch_open_mqas,
        {{ round_to(safe_divide('touched_within_sla_mqas', 'first_touch_due_mqas'), 4) }} as first_touch_sla_rate,
        {{ round_to('median_days_to_first_touch', 1) }} as median_days_to_first_touch,
        {{ round_to('avg_days_to_first_touch', 1) }} as avg_days_to_first_touch,
        opportunity_mqas,
        opportunity_due_mqas,
        opportunity_within_sla_mqas,
        opportunity_open_mqas,
        {{ round_to(safe_divide('opportunity_within_sla_mqas', 'opportunity_due_mqas'), 4) }} as opportunity_sla_rate,
        {{ round_to('median_days_to_opportunity', 1) }} as median_days_to_opportunity,
        {{ round_to('avg_days_to_opportunity', 1) }} as avg_days_to_opportunity
    from counts
)

select * from final
