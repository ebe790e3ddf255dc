{#- The most frequent value of `column` in a group (ties: the first in sort order), as an
    ordered-set aggregate: DuckDB and PostgreSQL both take this form. -#}
{% macro mode_of(column) -%}
    mode() within group (order by {{ column }})
{%- endmacro %}
