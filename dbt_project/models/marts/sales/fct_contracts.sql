{#- Contract terms (one row per yearly term the CRM records), chained to the term they
    renew, with whether each is in force on the data date. -#}
with contracts as (
    select * from {{ ref('stg_crm__contracts') }}
),

products as (
    select * from {{ ref('stg_crm__products') }}
),

account_matches as (
    select * from {{ ref('int_account_company_matches') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

ordered as (
    select
        *,
        lag(contract_id) over (
            partition by account_id, product_id order by started_on, contract_id
        ) as previous_contract_id,
        lag(ended_on) over (partition by account_id, product_id order by started_on, contract_id) as previous_ended_on
    from contracts
),

final as (
    select
        ordered.contract_id,
        ordered.account_id,
        account_matches.primary_account_id,
        account_matches.corporate_number,
        ordered.product_id,
        products.product_family,
        ordered.started_on,
        ordered.ended_on,
        {{ days_between('ordered.started_on', 'ordered.ended_on') }} + 1 as term_days,
        ordered.annual_amount_jpy,
        ordered.status,
        -- a term that starts within a week of the previous term's end renews it
        case
            when ordered.previous_ended_on is not null
                and ordered.started_on <= {{ add_days('ordered.previous_ended_on', 7) }}
                then ordered.previous_contract_id
        end as renews_contract_id,
        -- (sqlfluff takes "not (" for a function call)
        not ( -- noqa: LT01, LT06
            ordered.previous_ended_on is not null
            and ordered.started_on <= {{ add_days('ordered.previous_ended_on', 7) }}
        ) as is_new_business,
        (
            ordered.started_on <= data_date.data_date
            and (ordered.ended_on is null or ordered.ended_on >= data_date.data_date)
        ) as is_in_force,
        -- false for a reference to a row the export never delivered (the row is kept)
        account_matches.account_id is not null as has_known_account,
        case when ordered.product_id is not null then products.product_id is not null end as has_known_product,
        ordered.updated_at
    from ordered
    cross join data_date
    left join products
        on ordered.product_id = products.product_id
    left join account_matches
        on ordered.account_id = account_matches.account_id
)

select * from final
