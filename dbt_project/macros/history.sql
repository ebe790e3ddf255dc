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

{#- The CTEs of an effective-dated history (slowly changing dimension, type 2) of one key:
    every delivered version (`versions_relation`, one row per key and `updated_at`) merged
    with the snapshot's states (`snapshot_relation`, dbt_valid_from as their time; a
    delivered version wins over a snapshot row of the same time), consecutive identical
    states of `attributes` collapsed, each valid until the next began. Emits CTEs ending in
    `intervals` (the attributes, valid_from, valid_to, is_current, version_source); the
    model goes on with `, final as (select ... from intervals)`. Use after `with`:
        with {{ scd_intervals('account_id', ['account_name', ...],
                              ref('stg_crm__account_versions'), ref('snap_crm__accounts')) }},
-#}
{% macro scd_intervals(key, attributes, versions_relation, snapshot_relation) -%}
versions as (
    select
        {{ key }},
        {%- for column in attributes %}
        {{ column }},
        {%- endfor %}
        updated_at,
        'delivered' as version_source
    from {{ versions_relation }}
),

snapshot_states as (
    select
        {{ key }},
        {%- for column in attributes %}
        {{ column }},
        {%- endfor %}
        dbt_valid_from as updated_at,
        'snapshot' as version_source
    from {{ snapshot_relation }}
),

combined as (
    select * from versions
    union all
    select * from snapshot_states
),

deduplicated as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}, updated_at
                order by case when version_source = 'delivered' then 0 else 1 end
            ) as source_rank
        from combined
    ) as ranked
    where source_rank = 1
),

-- change detection: a version that repeats the state before it is no change
signed as (
    select
        *,
        {%- set parts = [] %}
        {%- for column in attributes %}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif %}
        {%- do parts.append("coalesce(" ~ column ~ ", '')") %}
        {%- endfor %}
        {{ dbt.concat(parts) }} as state_signature
    from deduplicated
),

changes as (
    select *
    from (
        select
            *,
            lag(state_signature) over (partition by {{ key }} order by updated_at) as previous_signature
        from signed
    ) as compared
    where previous_signature is null or previous_signature <> state_signature
),

intervals as (
    select
        {{ key }},
        {%- for column in attributes %}
        {{ column }},
        {%- endfor %}
        {{ versions_to_intervals(key, 'updated_at') }},
        lead(updated_at) over (partition by {{ key }} order by updated_at) is null as is_current,
        version_source
    from changes
)
{%- endmacro %}
