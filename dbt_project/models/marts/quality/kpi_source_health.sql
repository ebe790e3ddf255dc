{#- Source health per raw table: how recently it was loaded, as the transform's freshness
    check (dbt source freshness) last judged it, and which of its date folders are overdue
    (still incomplete after their deadline, as the ingest DAG last found them). The late
    data a dashboard should show before anyone trusts today's KPIs. -#}
with freshness as (
    select * from {{ source('audit', 'source_freshness') }}
),

late_deliveries as (
    select * from {{ source('audit', 'late_deliveries') }}
),

latest_checks as (
    select
        raw_table,
        max(checked_at) as checked_at
    from freshness
    group by raw_table
),

latest_freshness as (
    select freshness.*
    from freshness
    inner join latest_checks
        on freshness.raw_table = latest_checks.raw_table
        and freshness.checked_at = latest_checks.checked_at
),

overdue as (
    select
        source_table as raw_table,
        count(*) as folders_overdue,
        sum(files_waiting) as files_waiting,
        min(data_interval) as oldest_overdue_date,
        min(first_alerted_at) as overdue_since
    from late_deliveries
    where status = 'overdue'
    group by source_table
),

tables_seen as (
    select raw_table from latest_freshness
    union
    select raw_table from overdue
),

final as (
    select
        tables_seen.raw_table as entity,
        latest_freshness.source_name,
        latest_freshness.checked_at as freshness_checked_at,
        latest_freshness.status as freshness_status,
        latest_freshness.max_loaded_at,
        latest_freshness.age_hours,
        latest_freshness.warn_after,
        latest_freshness.error_after,
        coalesce(overdue.folders_overdue, 0) as folders_overdue,
        coalesce(overdue.files_waiting, 0) as files_waiting,
        overdue.oldest_overdue_date,
        overdue.overdue_since,
        (
            coalesce(latest_freshness.status, 'pass') = 'pass'
            and coalesce(overdue.folders_overdue, 0) = 0
        ) as is_healthy
    from tables_seen
    left join latest_freshness
        on tables_seen.raw_table = latest_freshness.raw_table
    left join overdue
        on tables_seen.raw_table = overdue.raw_table
)

select * from final
