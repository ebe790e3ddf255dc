with source as (
    {{ published(source('crm', 'activities')) }}
),

latest as (
    {{ latest_version('source', 'activity_id', 'occurred_at') }}
),

renamed as (
    select
        activity_id,
        account_id,
        nullif(trim(contact_id), '') as contact_id,
        lower(trim(activity_type)) as activity_type,
        occurred_at,
        {{ local_date('occurred_at') }} as occurred_on,
        nullif(lower(trim(outcome)), '') as outcome,
        _batch_id as batch_id
    from latest
)

select * from renamed
