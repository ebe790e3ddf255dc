{#- Every delivered version of every MA lead (a form refreshes department and title; an
    unsubscribe sets opt_out). -#}
with source as (
    {{ published(source('ma', 'leads')) }}
),

versions as (
    {{ latest_version('source', 'lead_id, updated_at', '_loaded_at') }}
),

renamed as (
    select
        lead_id,
        nullif(lower(trim(email)), '') as email,
        trim(last_name) as last_name,
        trim(first_name) as first_name,
        trim(company_name) as company_name,
        trim(department) as department,
        trim(job_title) as job_title,
        trim(phone) as phone,
        lower(trim(lead_source)) as lead_source,
        coalesce(opt_out, false) as is_opted_out,
        created_at,
        updated_at,
        _batch_id as batch_id
    from versions
)

select * from renamed
