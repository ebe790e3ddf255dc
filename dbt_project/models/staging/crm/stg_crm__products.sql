with source as (
    {{ published(source('crm', 'products')) }}
),

latest as (
    {{ latest_version('source', 'product_id', '_loaded_at') }}
),

renamed as (
    select
        product_id,
        trim(product_name) as product_name,
        trim(product_family) as product_family,
        cast(list_price_jpy as {{ type_amount() }}) as list_price_jpy,
        _batch_id as batch_id
    from latest
)

select * from renamed
