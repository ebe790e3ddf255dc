{#- The build's accuracy against the simulator's truth (kizuna.accuracy writes it after
    each build on a simulated world), overall and per identity match method. Create them,
    empty, when missing, so the quality marts build on any warehouse. Columns as in
    kizuna.accuracy.COLUMNS and BY_METHOD_COLUMNS. Run as an on-run-start hook. -#}
{% macro create_accuracy_table_if_missing() -%}
    {%- if execute -%}
    create schema if not exists audit;
    create table if not exists audit.simulation_accuracy (
        data_date date, measured_at {{ dbt.type_timestamp() }}, metric {{ dbt.type_string() }},
        numerator {{ dbt.type_bigint() }}, denominator {{ dbt.type_bigint() }},
        value double precision);
    create table if not exists audit.simulation_accuracy_by_method (
        data_date date, measured_at {{ dbt.type_timestamp() }},
        match_method {{ dbt.type_string() }}, metric {{ dbt.type_string() }},
        numerator {{ dbt.type_bigint() }}, denominator {{ dbt.type_bigint() }},
        value double precision);
    {%- endif -%}
{%- endmacro %}
