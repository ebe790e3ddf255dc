with source as (
    {{ published(source('crm', 'opportunities')) }}
),

latest as (
    {{ latest_version('source', 'opportunity_id', 'updated_at') }}
),

renamed as (
    select
        opportunity_id,
        account_id,
        product_id,
        lower(trim(stage)) as stage,
        cast(amount_jpy as {{ type_amount() }}) as amount_jpy,
        created_at,
        {{ local_date('created_at') }} as created_on,
        close_date,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        nullif(trim(lost_reason), '') as lost_reason,
        updated_at,
        _batch_id as batch_id
    from latest
)

select * from renamed
