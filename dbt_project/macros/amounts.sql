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

{#- `amount` split by `share` (a 0-1 double; the shares of a partition sum to 1) into
    amounts that sum to `amount` exactly: each row gets the whole cents of its quota, and
    the cents left over go one each to the rows with the largest remainders (ties in
    `order_by` order). Floats only decide who gets a leftover cent, so the sum is exact
    whatever their rounding. A window expression: `partition_by` names the split. -#}
{% macro allocate_amount(amount, share, partition_by, order_by) -%}
    {%- set cents = "cast(" ~ amount ~ " * 100 as bigint)" -%}
    {%- set quota = "(" ~ cents ~ " * cast(" ~ share ~ " as " ~ type_double() ~ "))" -%}
    {%- set whole = "cast(floor(" ~ quota ~ ") as bigint)" -%}
    cast(
        cast(
            {{ whole }}
            + case
                when row_number() over (
                    partition by {{ partition_by }} order by {{ quota }} - floor({{ quota }}) desc, {{ order_by }}
                ) <= {{ cents }} - sum({{ whole }}) over (partition by {{ partition_by }})
                    then 1
                else 0
            end
            as numeric(20, 0)
        ) * 0.01
        as {{ type_amount() }}
    )
{%- endmacro %}
