{#- The company database over time: one row per company per delivered version, valid
    until the next one, so scores read the firmographics known on their date. -#}
with versions as (
    select * from {{ ref('stg_firmo__company_versions') }}
),

final as (
    select
        corporate_number,
        substr(industry_code, 1, 1) as industry_division,
        industry_code,
        employees,
        revenue_jpy,
        revenue_growth_rate,
        {{ versions_to_intervals('corporate_number', 'updated_at') }}
    from versions
)

select * from final
