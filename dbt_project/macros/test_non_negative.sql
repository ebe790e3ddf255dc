{#- Generic test: every value of the column (a duration, a count of days) is null or at
    least 0. Returns the offending rows. -#}
{% test kizuna_non_negative(model, column_name) %}
select {{ column_name }} as negative_value
from {{ model }}
where {{ column_name }} < 0
{% endtest %}
