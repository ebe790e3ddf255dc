{#- The ML tasks (models_ml) write schema `ml`. Create its tables, empty, when they are
    missing, so a plain `dbt build` on a new warehouse builds the ML marts before the
    first scoring run. The tables are defined once, by the columns and data types of the
    `ml` source (models/marts/ml/_ml__sources.yml), which models_ml reads too. A table
    written by an earlier version gains the columns it lacks (null in its old rows). Run
    as an on-run-start hook. -#}
{% macro create_ml_tables_if_missing() -%}
    {%- if execute -%}
    create schema if not exists ml;
    {%- for node in graph.sources.values() if node.source_name == 'ml' %}
    create table if not exists ml.{{ node.identifier }} (
        {%- for column in node.columns.values() %}
        {{ column.name }} {{ column.data_type }}{{ "," if not loop.last }}
        {%- endfor %}
    );
    {%- for column in node.columns.values() %}
    alter table ml.{{ node.identifier }} add column if not exists {{ column.name }} {{ column.data_type }};
    {%- endfor %}
    {%- endfor %}
    {%- endif -%}
{%- endmacro %}
