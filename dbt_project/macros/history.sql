{#- Effective dating. History models (dim_*_history) hold one row per key and interval,
    half-open [valid_from, valid_to), valid_to null for the current row; times in UTC. -#}

{#- Predicate: the row of history alias `alias` in force at instant `at_expr`. -#}
{% macro valid_at(alias, at_expr) -%}
    ({{ alias }}.valid_from <= {{ at_expr }} and ({{ alias }}.valid_to is null or {{ alias }}.valid_to > {{ at_expr }}))
{%- endmacro %}

{#- The attributes of every key as of the local business date `as_of_date` (a date
    literal, column or expression): the rows in force at the end of that day in Japan.
    Use as a subquery:
        select * from ({{ as_of(ref('dim_contacts_history'), "date '2026-03-31'") }}) c
    The ML features and analysts use this instead of filtering valid_from/valid_to by
    hand. -#}
{% macro as_of(history_relation, as_of_date) -%}
    select * from {{ history_relation }} as h
    where {{ valid_at('h', local_day_end(as_of_date)) }}
{%- endmacro %}

{#- Turn a version stream (one row per key and version time) into intervals: each
    version is valid from its own time to the next version's. -#}
{% macro versions_to_intervals(key, version_column) -%}
    {{ version_column }} as valid_from,
    lead({{ version_column }}) over (partition by {{ key }} order by {{ version_column }}) as valid_to
{%- endmacro %}
