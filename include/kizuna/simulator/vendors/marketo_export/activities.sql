-- Bulk Activity Extract rows. Each activity names its program's smart campaign (the same
-- numbering as smart_campaigns.sql); a registration or attendance is a program status
-- change naming the program itself.
with smart_campaign as (
    select
        campaign_id,
        1000 + dense_rank() over (order by campaign_id) as id
    from (
        select campaign_id from ma_campaigns
        union
        select campaign_id from ma_activities
        where campaign_id is not null
    )
),

typed as (
    select
        a.*,
        s.id as smart_campaign_id,
        case
            when a.activity_type = 'web_visit' then 1
            when a.activity_type = 'form_submit' then 2
            when a.activity_type = 'email_send' then 6
            when a.activity_type = 'unsubscribe' then 9
            when a.activity_type = 'email_open' then 10
            when a.activity_type = 'email_click' then 11
            when a.activity_type in ('event_registration', 'event_attendance')
                and a.campaign_id is not null then 104
            when a.activity_type = 'content_download' then 100001
            when a.activity_type = 'business_card_scan' then 100002
            when a.activity_type = 'event_registration' then 100003
            when a.activity_type = 'event_attendance' then 100004
        end as type_id
    from ma_activities as a
    left join smart_campaign as s on a.campaign_id = s.campaign_id
)

select
    _day,
    activity_id as marketoGUID,
    lead_id as leadId,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%SZ') as activityDate,
    type_id as activityTypeId,
    coalesce(cast(smart_campaign_id as varchar), 'null') as campaignId,
    case
        when type_id = 104 then campaign_id
        when type_id in (1, 2, 6, 9, 10, 11) then coalesce(asset_id, 'null')
        else 'null'
    end as primaryAttributeValueId,
    case
        when type_id = 1 then coalesce(url, 'null')
        when type_id = 104 then campaign_id
        else 'null'
    end as primaryAttributeValue,
    cast(case
        when type_id = 1 then json_object('Webpage URL', url)
        when type_id in (2, 9) then json_object('Referrer URL', url)
        when type_id = 11 then json_object('Link', url)
        when type_id = 104 and activity_type = 'event_registration'
            then json_object('New Status', 'Registered', 'Old Status', 'Invited')
        when type_id = 104 then json_object('New Status', 'Attended', 'Old Status', 'Registered')
        when type_id = 100001 then json_object('Asset', asset_id)
        else json_object()
    end as varchar) as attributes
from typed
