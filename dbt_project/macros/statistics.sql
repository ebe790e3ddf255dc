{#- The median of `expr` over the group, as an aggregate: the ordered-set aggregate
    percentile_cont of the SQL standard (DuckDB, PostgreSQL, Snowflake, Trino). -#}
{% macro median(expr) -%}
    {{ return(adapter.dispatch('median', 'kizuna')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{#- The weighted geometric mean of factors in [0, 1]: the product of each factor raised to
    its share of the weights. `factors` maps a name to [expr, weight]; a factor whose
    expr is null is left out and the others share its weight (a model not trained yet
    does not zero the score); a factor of 0 zeroes it. -#}
{% macro weighted_geometric_mean(factors) -%}
    {%- set total -%}
        ({% for name, factor in factors.items() -%}
            case when {{ factor[0] }} is null then 0 else {{ factor[1] }} end
            {%- if not loop.last %} + {% endif %}
        {%- endfor %})
    {%- endset -%}
    {% for name, factor in factors.items() -%}
        power(
            cast(coalesce({{ factor[0] }}, 1) as {{ type_double() }}),
            cast({{ factor[1] }} as {{ type_double() }}) / nullif({{ total }}, 0)
        )
        {%- if not loop.last %} * {% endif %}
    {% endfor %}
{%- endmacro %}
