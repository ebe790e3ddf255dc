{#- Amounts are money in the reporting currency (var reporting_currency, from
    KIZUNA_CURRENCY; the `*_jpy` columns keep their names whatever the currency), with
    2 decimal places, as the raw tables hold them. Staging casts every amount to this
    type, so a warehouse whose raw tables still hold whole numbers builds the same marts. -#}
{% macro type_amount() -%}
    {{ return(adapter.dispatch('type_amount', 'kizuna')()) }}
{%- endmacro %}

{#- numeric(18, 2) is DECIMAL(18, 2) on DuckDB and NUMERIC(18, 2) on PostgreSQL. -#}
{% macro default__type_amount() -%}
    numeric(18, 2)
{%- endmacro %}

{#- The reporting currency's ISO 4217 code, as a SQL string literal. -#}
{% macro reporting_currency() -%}
    {%- set code = (var('reporting_currency') | string | trim | upper) or 'JPY' -%}
    {%- if code | length != 3 or not code.isalpha() -%}
        {{ exceptions.raise_compiler_error(
            "reporting_currency (KIZUNA_CURRENCY) must be an ISO 4217 code such as JPY or "
            ~ "BRL, not " ~ code
        ) }}
    {%- endif -%}
    '{{ code }}'
{%- endmacro %}
