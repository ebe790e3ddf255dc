with source as (
    {{ published(source('ma', 'campaigns')) }}
),

latest as (
    {{ latest_version('source', 'campaign_id', '_loaded_at') }}
),

renamed as (
    select
        campaign_id,
        trim(name) as campaign_name,
        lower(trim(channel)) as channel,
        nullif(trim(product_id), '') as product_id,
        started_on,
        ended_on,
        cast(cost_jpy as {{ type_amount() }}) as cost_jpy,
        _batch_id as batch_id
    from latest
)

select * from renamed
