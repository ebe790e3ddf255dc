-- Programs: the world's campaigns, the channel by Marketo's default channel names.
select
    _day,
    campaign_id as id,
    cast(started_on as timestamptz) + interval 1 hour as _fivetran_synced,
    false as _fivetran_deleted,
    case channel
        when 'webinar' then 'Webinar'
        when 'seminar' then 'Seminar'
        when 'event' then 'Tradeshow'
        when 'email' then 'Email Send'
        when 'content' then 'Content Syndication'
        when 'ads' then 'Paid Social'
        else channel
    end as channel,
    cast(started_on as timestamptz) as created_at,
    cast(null as varchar) as description,
    cast(ended_on as timestamptz) as end_date,
    name,
    cast(started_on as timestamptz) as start_date,
    'on' as status,
    case channel
        when 'webinar' then 'Event with Webinar'
        when 'seminar' then 'Event'
        when 'event' then 'Event'
        when 'email' then 'Email'
        else 'Default'
    end as type,
    cast(started_on as timestamptz) as updated_at,
    'Default' as workspace
from ma_campaigns
