{#- The attribution models of mart_attribution, each a `<name>_share` column of
    fct_attribution_touches. -#}
{% macro attribution_models() -%}
    {{ return(['first_touch', 'last_touch', 'linear', 'w_shaped', 'time_decay']) }}
{%- endmacro %}
