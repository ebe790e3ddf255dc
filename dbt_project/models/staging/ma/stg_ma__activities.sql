with source as (
    {{ published(source('ma', 'activities')) }}
),

latest as (
    {{ latest_version('source', 'activity_id', 'occurred_at') }}
),

renamed as (
    select
        activity_id,
        lead_id,
        lower(trim(activity_type)) as activity_type,
        occurred_at,
        {{ local_date('occurred_at') }} as occurred_on,
        nullif(trim(campaign_id), '') as campaign_id,
        nullif(trim(asset_id), '') as asset_id,
        nullif(trim(url), '') as url,
        _batch_id as batch_id
    from latest
)

select * from renamed
