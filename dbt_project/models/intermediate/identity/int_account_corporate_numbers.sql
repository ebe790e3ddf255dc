{#- The first step of account -> company resolution, deterministic and portable: the
    corporate number sales typed, checked (13 digits, valid check digit) and looked up in
    the company database. Read by the identity task, which resolves the rest. -#}
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
    where corporate_number is not null
),

companies as (
    select corporate_number from {{ ref('stg_firmo__companies') }}
),

cleaned as (
    select
        account_id,
        corporate_number as corporate_number_entered,
        replace(replace(corporate_number, '-', ''), ' ', '') as corporate_number
    from accounts
),

checked as (
    select
        cleaned.account_id,
        cleaned.corporate_number_entered,
        cleaned.corporate_number,
        {{ is_valid_corporate_number('cleaned.corporate_number') }} as is_check_digit_valid,
        companies.corporate_number is not null as is_in_company_database
    from cleaned
    left join companies
        on cleaned.corporate_number = companies.corporate_number
),

final as (
    select
        account_id,
        corporate_number_entered,
        corporate_number,
        is_check_digit_valid,
        is_in_company_database,
        is_check_digit_valid and is_in_company_database as is_linked
    from checked
)

select * from final
