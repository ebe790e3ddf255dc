{#- Every delivered version of every CRM account: the raw material of
    dim_accounts_history (owner changes, ABM tier reviews, corporate numbers filled in). -#}
with source as (
    {{ published(source('crm', 'accounts')) }}
),

versions as (
    {{ latest_version('source', 'account_id, updated_at', '_loaded_at') }}
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
    from versions
)

select * from renamed
