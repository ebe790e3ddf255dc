{#- The ingest DAG's deadline check (kizuna.tasks.check_deliveries) writes
    audit.late_deliveries and the transform's first step (kizuna.pipeline.source_freshness)
    writes audit.source_freshness. Create them, empty, when missing, so the quality marts
    build on any warehouse. Columns as in kizuna.ledger (LATE_DELIVERIES_DDL,
    SOURCE_FRESHNESS_DDL). Run as an on-run-start hook. -#}
{% macro create_delivery_audit_tables_if_missing() -%}
    {%- if execute -%}
    create schema if not exists audit;
    create table if not exists audit.late_deliveries (
        folder {{ dbt.type_string() }} primary key,
        source_table {{ dbt.type_string() }} not null,
        data_interval date not null,
        deadline_at {{ dbt.type_timestamp() }} not null,
        reason {{ dbt.type_string() }} not null,
        files_waiting {{ dbt.type_bigint() }} not null,
        status {{ dbt.type_string() }} not null,
        first_alerted_at {{ dbt.type_timestamp() }} not null,
        last_checked_at {{ dbt.type_timestamp() }} not null,
        resolved_at {{ dbt.type_timestamp() }});
    create table if not exists audit.source_freshness (
        checked_at {{ dbt.type_timestamp() }} not null,
        source_name {{ dbt.type_string() }} not null,
        table_name {{ dbt.type_string() }} not null,
        raw_table {{ dbt.type_string() }} not null,
        status {{ dbt.type_string() }} not null,
        max_loaded_at {{ dbt.type_timestamp() }},
        age_hours double precision,
        warn_after {{ dbt.type_string() }},
        error_after {{ dbt.type_string() }},
        message {{ dbt.type_string() }});
    {%- endif -%}
{%- endmacro %}
