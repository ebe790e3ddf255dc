{#- Every delivered version of every company-database record (employees and revenue move
    monthly): lets scores use firmographics as they were known on a date. -#}
with source as (
    {{ published(source('firmo', 'companies')) }}
),

versions as (
    {{ latest_version('source', 'corporate_number, updated_at', '_loaded_at') }}
),

renamed as (
    select
        trim(corporate_number) as corporate_number,
        trim(company_name) as company_name,
        trim(company_name_kana) as company_name_kana,
        trim(prefecture) as prefecture,
        upper(trim(industry_code)) as industry_code,
        employees,
        cast(revenue_jpy as {{ type_amount() }}) as revenue_jpy,
        revenue_growth_rate,
        nullif(trim(parent_corporate_number), '') as parent_corporate_number,
        nullif(lower(trim(domain)), '') as domain,
        coalesce(listed, false) as is_listed,
        updated_at,
        _batch_id as batch_id
    from versions
)

select * from renamed
