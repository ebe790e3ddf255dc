{#- Generic test: per `key`, the [valid_from, valid_to) intervals neither overlap nor
    leave gaps, none is empty, and exactly the last one is open (valid_to null). Returns
    the offending rows. -#}
{% test kizuna_contiguous_intervals(model, key, valid_from='valid_from', valid_to='valid_to') %}
with ordered as (
    select
        {{ key }} as interval_key,
        {{ valid_from }} as interval_from,
        {{ valid_to }} as interval_to,
        lead({{ valid_from }}) over (partition by {{ key }} order by {{ valid_from }}) as next_from
    from {{ model }}
)

select *
from ordered
where (interval_to is not null and interval_to <= interval_from)
   or (next_from is not null and (interval_to is null or interval_to <> next_from))
   or (next_from is null and interval_to is not null)
{% endtest %}
