{#- Generic test: the amounts in `column_name` split `to_column` (an expression over the
    model `to`) exactly, once for each value in `by_values` of the column `by` (one
    split per attribution model): in total, and, with `key` (a column of both models),
    per key, every key of `to` credited and nothing credited to a key `to` lacks.
    Returns the splits, and keys, whose credited sum differs. -#}
{% test kizuna_reconciles_to(model, column_name, to, to_column, by, by_values, key=none) %}
with splits as (
    {% for value in by_values %}
        select '{{ value }}' as split_value
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

expected_total as (
    select coalesce(sum({{ to_column }}), 0) as expected_amount
    from {{ to }}
),

credited_total as (
    select
        {{ by }} as split_value,
        coalesce(sum({{ column_name }}), 0) as credited_amount
    from {{ model }}
    group by {{ by }}
),

total_mismatches as (
    select
        splits.split_value,
        cast(null as {{ dbt.type_string() }}) as reconcile_key,
        expected_total.expected_amount,
        credited_total.credited_amount
    from splits
    cross join expected_total
    left join credited_total
        on splits.split_value = credited_total.split_value
    where credited_total.credited_amount is distinct from expected_total.expected_amount
)

{%- if key is not none %},

expected as (
    select
        splits.split_value,
        cast({{ key }} as {{ dbt.type_string() }}) as reconcile_key,
        {{ to_column }} as expected_amount
    from {{ to }}
    cross join splits
),

credited as (
    select
        {{ by }} as split_value,
        cast({{ key }} as {{ dbt.type_string() }}) as reconcile_key,
        sum({{ column_name }}) as credited_amount
    from {{ model }}
    group by {{ by }}, {{ key }}
),

key_mismatches as (
    select
        coalesce(expected.split_value, credited.split_value) as split_value,
        coalesce(expected.reconcile_key, credited.reconcile_key) as reconcile_key,
        expected.expected_amount,
        credited.credited_amount
    from expected
    full outer join credited
        on expected.split_value = credited.split_value
        and expected.reconcile_key = credited.reconcile_key
    where expected.reconcile_key is null
        or credited.reconcile_key is null
        or credited.credited_amount is distinct from expected.expected_amount
)

select * from total_mismatches
union all
select * from key_mismatches
{%- else %}

select * from total_mismatches
{%- endif %}
{% endtest %}
