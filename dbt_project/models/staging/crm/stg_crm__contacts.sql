with source as (
    {{ published(source('crm', 'contacts')) }}
),

latest as (
    {{ latest_version('source', 'contact_id', 'updated_at') }}
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
    from latest
)

select * from renamed
