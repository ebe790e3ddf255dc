{#- Every CRM contact as last delivered: the latest version of stg_crm__contact_versions. -#}
with versions as (
    select * from {{ ref('stg_crm__contact_versions') }}
),

latest as (
    {{ latest_of_versions('versions', 'contact_id') }}
),

final as (
    select
        contact_id,
        account_id,
        email,
        last_name,
        first_name,
        department,
        title,
        buying_role,
        updated_at,
        batch_id
    from latest
)

select * from final
