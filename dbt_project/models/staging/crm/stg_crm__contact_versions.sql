{#- Every delivered version of every CRM contact (the CRM exports changed contacts daily):
    the raw material of dim_contacts_history. A version re-delivered with the same
    updated_at counts once (the later load wins). -#}
with source as (
    {{ published(source('crm', 'contacts')) }}
),

versions as (
    {{ latest_version('source', 'contact_id, updated_at', '_loaded_at') }}
),

renamed as (
    select
        contact_id,
        account_id,
        nullif(lower(trim(email)), '') as email,
        trim(last_name) as last_name,
        trim(first_name) as first_name,
        trim(department) as department,
        trim(title) as title,
        nullif(lower(trim(buying_role)), '') as buying_role,
        updated_at,
        _batch_id as batch_id
    from versions
)

select * from renamed
