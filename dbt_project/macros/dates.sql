{#- Date helpers shared by the marts. Timestamps are UTC; reporting dates are business
    dates in the business time zone (var reporting_timezone, from KIZUNA_TIMEZONE). -#}

{#- The business time zone as a SQL string literal: an IANA name (Asia/Tokyo,
    America/Sao_Paulo), so daylight saving follows the time zone database; `zone`, when
    given, instead of the setting. -#}
{% macro reporting_timezone(zone=none) -%}
    {%- set name = ((zone if zone is not none else var('reporting_timezone')) | string | trim) or 'Asia/Tokyo' -%}
    {%- if "'" in name or "\\" in name or ' ' in name -%}
        {{ exceptions.raise_compiler_error(
            "reporting_timezone (KIZUNA_TIMEZONE) must be an IANA time zone name such as "
            ~ "Asia/Tokyo, not " ~ name
        ) }}
    {%- endif -%}
    '{{ name }}'
{%- endmacro %}

{#- The local business date of a UTC timestamp (a timestamp without time zone), in the
    business time zone or in `zone` (an IANA name) when given. -#}
{% macro local_date(column, zone=none) -%}
    {{ return(adapter.dispatch('local_date', 'kizuna')(column, zone)) }}
{%- endmacro %}

{#- SQL's AT TIME ZONE (DuckDB, PostgreSQL, Trino): the UTC instant, then its wall-clock
    time in the business zone, then the date; no session time zone is involved. -#}
{% macro default__local_date(column, zone=none) -%}
    cast(({{ column }} at time zone 'UTC') at time zone {{ reporting_timezone(zone) }} as date)
{%- endmacro %}

{#- `date_expr` plus `days` days, as a date on every adapter (dbt.dateadd returns a
    timestamp on DuckDB and PostgreSQL). -#}
{% macro add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{#- Whole days from `start_expr` to `end_expr` (dates). -#}
{% macro days_between(start_expr, end_expr) -%}
    {{ dbt.datediff(start_expr, end_expr, 'day') }}
{%- endmacro %}

{#- The first day of the month of a date, as a date. -#}
{% macro month_start(date_expr) -%}
    cast({{ dbt.date_trunc('month', date_expr) }} as date)
{%- endmacro %}

{#- The Sunday that ends the (Monday-first) week of a date. -#}
{% macro week_end(date_expr) -%}
    {{ add_days("cast(" ~ dbt.date_trunc('week', date_expr) ~ " as date)", 6) }}
{%- endmacro %}

{#- The UTC instant (a timestamp without time zone) at which the local business date
    `date_expr` ends: "as of date D" means everything known by the end of D in the
    business time zone (a day of 23 or 25 hours where daylight saving changes). -#}
{% macro local_day_end(date_expr, zone=none) -%}
    {{ return(adapter.dispatch('local_day_end', 'kizuna')(date_expr, zone)) }}
{%- endmacro %}

{#- Local midnight that starts the next day, read in the business zone, then in UTC. -#}
{% macro default__local_day_end(date_expr, zone=none) -%}
    ((cast({{ add_days(date_expr, 1) }} as timestamp) at time zone {{ reporting_timezone(zone) }}) at time zone 'UTC')
{%- endmacro %}

{#- One row per date from `start_expr` to `end_expr` (both included) in a column
    `date_day`. The bounds may be scalar subqueries; this is the one place where DuckDB
    and PostgreSQL need different SQL (generate_series returns a list in DuckDB, a set
    in PostgreSQL). -#}
{% macro date_series(start_expr, end_expr) -%}
    {{ return(adapter.dispatch('date_series', 'kizuna')(start_expr, end_expr)) }}
{%- endmacro %}

{% macro default__date_series(start_expr, end_expr) -%}
    select cast(d as date) as date_day
    from generate_series(cast({{ start_expr }} as timestamp), cast({{ end_expr }} as timestamp), interval '1 day') as series(d)
{%- endmacro %}

{% macro duckdb__date_series(start_expr, end_expr) -%}
    select cast(unnest(generate_series(cast({{ start_expr }} as timestamp), cast({{ end_expr }} as timestamp), interval 1 day)) as date) as date_day
{%- endmacro %}

{#- round() that works on doubles everywhere (PostgreSQL rounds only numerics). -#}
{% macro round_to(expr, digits) -%}
    {{ return(adapter.dispatch('round_to', 'kizuna')(expr, digits)) }}
{%- endmacro %}

{% macro default__round_to(expr, digits) -%}
    round(cast({{ expr }} as numeric), {{ digits }})
{%- endmacro %}

{% macro duckdb__round_to(expr, digits) -%}
    round({{ expr }}, {{ digits }})
{%- endmacro %}

{#- A ratio that is null, not an error, when the denominator is zero. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}

{#- An 8-byte float on every adapter (dbt.type_float() is a 4-byte REAL on DuckDB). -#}
{% macro type_double() -%}
    double precision
{%- endmacro %}
