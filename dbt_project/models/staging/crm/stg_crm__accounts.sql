{#- Every CRM account as last delivered: the latest version of stg_crm__account_versions. -#}
with versions as (
    select * from {{ ref('stg_crm__account_versions') }}
),

latest as (
    {{ latest_of_versions('versions', 'account_id') }}
),

final as (
    select
        account_id,
        account_name,
        corporate_number,
        domain,
        industry,
        owner,
        abm_tier,
        created_at,
        updated_at,
        batch_id
    from latest
)

select * from final
