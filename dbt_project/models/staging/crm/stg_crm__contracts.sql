with source as (
    {{ published(source('crm', 'contracts')) }}
),

latest as (
    {{ latest_version('source', 'contract_id', 'updated_at') }}
),

renamed as (
    select
        contract_id,
        account_id,
        product_id,
        started_on,
        ended_on,
        cast(annual_amount_jpy as {{ type_amount() }}) as annual_amount_jpy,
        lower(trim(status)) as status,
        updated_at,
        _batch_id as batch_id
    from latest
)

select * from renamed
