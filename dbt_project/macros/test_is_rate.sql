{#- Generic test: every value of the column is a rate, a share or a probability: null or
    between 0 and 1 (both included). Returns the offending rows. -#}
{% test kizuna_is_rate(model, column_name) %}
select {{ column_name }} as rate_value
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1
{% endtest %}
