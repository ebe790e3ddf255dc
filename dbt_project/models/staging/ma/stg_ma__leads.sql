{#- Every MA lead as last delivered: the latest version of stg_ma__lead_versions. -#}
with versions as (
    select * from {{ ref('stg_ma__lead_versions') }}
),

latest as (
    {{ latest_of_versions('versions', 'lead_id') }}
),

final as (
    select
        lead_id,
        email,
        last_name,
        first_name,
        company_name,
        department,
        job_title,
        phone,
        lead_source,
        is_opted_out,
        created_at,
        updated_at,
        batch_id
    from latest
)

select * from final
