{#- Rows of a raw table whose batch passed the quality gate. A batch that the gate
    rejected, or that a corrected re-delivery superseded, never reaches staging. -#}
{% macro published(relation) -%}
    select * from {{ relation }}
    where _batch_id in (
        select batch_id from {{ source('audit', 'load_batches') }}
        where status = 'published'
    )
{%- endmacro %}

{#- Keep the latest delivered version of each key: by version column, then by load
    order (a re-delivery of the same version wins over the earlier one). -#}
{% macro latest_version(relation, key, version_column) -%}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by {{ version_column }} desc, _loaded_at desc, _source_file desc, _row_number desc
            ) as _version_rank
        from {{ relation }}
    ) as ranked
    where _version_rank = 1
{%- endmacro %}

{#- The latest version of each key of a versions model (stg_*_versions: one row per key
    and version, re-deliveries already resolved), so that a staging model's "latest" and
    its versions never disagree. Select the columns you need from it (it adds
    _version_rank). -#}
{% macro latest_of_versions(relation, key, version_column='updated_at') -%}
    select * from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ version_column }} desc) as _version_rank
        from {{ relation }}
    ) as ranked
    where _version_rank = 1
{%- endmacro %}
