with source as (
    {{ published(source('crm', 'accounts')) }}
),

latest as (
    {{ latest_version('source', 'account_id', 'updated_at') }}
),

renamed as (
    select
        account_id,
        trim(account_name) as account_name,
        nullif(trim(corporate_number), '') as corporate_number,
        nullif(lower(trim(domain)), '') as domain,
        trim(industry) as industry,
        trim(owner) as owner,
        nullif(lower(trim(abm_tier)), '') as abm_tier,
        created_at,
        updated_at,
        _batch_id as batch_id
    from latest
)

select * from renamed
