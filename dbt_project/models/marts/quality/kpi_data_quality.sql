{#- Data quality per entity, day and rule: how many batches and rows each check looked
    at and how many failed, beside the day's reconciliation (rows delivered, published,
    quarantined, held back in rejected or not yet validated batches). The day is the data
    interval a file was delivered for (its date folder). -#}
with batches as (
    select * from {{ source('audit', 'load_batches') }}
    where status not in ('superseded', 'discarded')
),

results as (
    select * from {{ source('audit', 'dq_results') }}
),

current_results as (
    -- A superseded or discarded batch's results are history: a corrected file replaced it,
    -- or someone dropped it.
    select results.*
    from results
    inner join batches
        on results.batch_id = batches.batch_id
),

entity_days as (
    select
        source_table as entity,
        data_interval as interval_date,
        count(*) as batches,
        sum(case when status = 'rejected' then 1 else 0 end) as batches_rejected,
        sum(rows_in_file) as rows_in_file,
        sum(case when status = 'published' then rows_loaded else 0 end) as rows_published,
        sum(rows_quarantined) as rows_quarantined,
        sum(case when status in ('rejected', 'loaded') then rows_loaded else 0 end)
            as rows_held_back
    from batches
    group by source_table, data_interval
),

rule_days as (
    select
        entity,
        data_interval as interval_date,
        rule,
        max(expectation_type) as expectation_type,
        max(column_name) as column_name,
        -- the strictest severity the rule had that day ('critical' sorts first)
        min(severity) as severity,
        max(level) as level,
        max(checked_by) as checked_by,
        count(*) as batches_checked,
        sum(case when success then 0 else 1 end) as batches_failed,
        sum(element_count) as rows_checked,
        sum(unexpected_count) as rows_failed,
        sum(rows_quarantined) as rows_quarantined_by_rule
    from current_results
    group by entity, data_interval, rule
),

final as (
    select
        {{ dbt.concat([
            "rule_days.entity", "'|'",
            "cast(rule_days.interval_date as " ~ dbt.type_string() ~ ")", "'|'",
            "rule_days.rule"]) }} as quality_key,
        rule_days.entity,
        rule_days.interval_date,
        rule_days.rule,
        rule_days.expectation_type,
        rule_days.column_name,
        rule_days.severity,
        rule_days.level,
        rule_days.checked_by,
        rule_days.batches_checked,
        rule_days.batches_failed,
        rule_days.rows_checked,
        rule_days.rows_failed,
        rule_days.rows_quarantined_by_rule,
        case
            when rule_days.rows_checked > 0
                then round(1 - 1.0 * rule_days.rows_failed / rule_days.rows_checked, 4)
        end as rule_pass_rate,
        entity_days.batches,
        entity_days.batches_rejected,
        entity_days.rows_in_file,
        entity_days.rows_published,
        entity_days.rows_quarantined,
        entity_days.rows_held_back,
        case
            when entity_days.rows_in_file > 0
                then round(1.0 * entity_days.rows_published / entity_days.rows_in_file, 4)
        end as pass_rate,
        (
            entity_days.rows_in_file
            = entity_days.rows_published + entity_days.rows_quarantined + entity_days.rows_held_back
        ) as is_reconciled
    from rule_days
    inner join entity_days
        on rule_days.entity = entity_days.entity
        and rule_days.interval_date = entity_days.interval_date
)

select * from final
