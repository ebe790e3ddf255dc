{#- Every company-database record as last delivered: the latest version of
    stg_firmo__company_versions. -#}
with versions as (
    select * from {{ ref('stg_firmo__company_versions') }}
),

latest as (
    {{ latest_of_versions('versions', 'corporate_number') }}
),

final as (
    select
        corporate_number,
        company_name,
        company_name_kana,
        prefecture,
        industry_code,
        employees,
        revenue_jpy,
        revenue_growth_rate,
        parent_corporate_number,
        domain,
        is_listed,
        updated_at,
        batch_id
    from latest
)

select * from final
