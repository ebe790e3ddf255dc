with source as (
    {{ published(source('crm', 'opportunity_history')) }}
),

latest as (
    {{ latest_version('source', 'opportunity_id, changed_at', '_loaded_at') }}
),

renamed as (
    select
        opportunity_id,
        changed_at,
        lower(trim(stage)) as stage,
        cast(amount_jpy as {{ type_amount() }}) as amount_jpy,
        _batch_id as batch_id
    from latest
)

select * from renamed
