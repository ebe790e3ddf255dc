{#- The median of `expr` over the group, as an aggregate: the ordered-set aggregate
    percentile_cont of the SQL standard (DuckDB, PostgreSQL, Snowflake, Trino). -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'kizuna')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}
