{#- The company database as a dimension, with the group each company belongs to and the
    CRM accounts identity resolution found for it. -#}
with companies as (
    select * from {{ ref('stg_firmo__companies') }}
),

divisions as (
    select * from {{ ref('jsic_divisions') }}
),

account_matches as (
    select * from {{ ref('int_account_company_matches') }}
    where corporate_number is not null
),

accounts_per_company as (
    select
        corporate_number,
        count(*) as crm_account_count,
        min(primary_account_id) as primary_account_id
    from account_matches
    group by corporate_number
),

children as (
    select
        parent_corporate_number,
        count(*) as subsidiary_count
    from companies
    where parent_corporate_number is not null
    group by parent_corporate_number
),

final as (
    select
        companies.corporate_number,
        companies.company_name,
        companies.company_name_kana,
        companies.prefecture,
        companies.industry_code,
        substr(companies.industry_code, 1, 1) as industry_division,
        divisions.division_name,
        companies.employees,
        companies.revenue_jpy,
        companies.revenue_growth_rate,
        companies.is_listed,
        companies.domain,
        companies.parent_corporate_number,
        -- groups up to three levels deep; the top company names the group
        coalesce(
            grandparents.parent_corporate_number, parents.parent_corporate_number,
            companies.parent_corporate_number, companies.corporate_number
        ) as group_corporate_number,
        coalesce(children.subsidiary_count, 0) as subsidiary_count,
        coalesce(accounts_per_company.crm_account_count, 0) as crm_account_count,
        accounts_per_company.primary_account_id,
        companies.updated_at
    from companies
    left join companies as parents
        on companies.parent_corporate_number = parents.corporate_number
    left join companies as grandparents
        on parents.parent_corporate_number = grandparents.corporate_number
    left join divisions
        on substr(companies.industry_code, 1, 1) = divisions.industry_division
    left join children
        on companies.corporate_number = children.parent_corporate_number
    left join accounts_per_company
        on companies.corporate_number = accounts_per_company.corporate_number
)

select * from final
