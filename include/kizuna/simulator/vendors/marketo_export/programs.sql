-- Programs (Asset API): the channel by Marketo's default channel names, the product as a
-- "Product" tag, the cost as one period cost; dates in the Asset API's form.
select
    _day,
    campaign_id as id,
    name,
    null as description,
    strftime(started_on, '%Y-%m-%dT00:00:00Z+0000') as createdAt,
    strftime(started_on, '%Y-%m-%dT00:00:00Z+0000') as updatedAt,
    case channel
        when 'webinar' then 'Event with Webinar'
        when 'seminar' then 'Event'
        when 'event' then 'Event'
        when 'email' then 'Email'
        else 'Default'
    end as type,
    case channel
        when 'webinar' then 'Webinar'
        when 'seminar' then 'Seminar'
        when 'event' then 'Tradeshow'
        when 'email' then 'Email Send'
        when 'content' then 'Content Syndication'
        when 'ads' then 'Paid Social'
        else channel
    end as channel,
    {'type': 'Folder', 'value': 1, 'folderName': 'Marketing Activities'} as folder,
    'on' as status,
    'Default' as workspace,
    case
        when product_id is not null then [{'tagType': 'Product', 'tagValue': product_id}]
    end as tags,
    case
        when cost_jpy is not null then [{'startDate': strftime(started_on, '%Y-%m-%d'),
                                         'cost': cost_jpy, 'note': null}]
    end as costs,
    strftime(started_on, '%Y-%m-%dT00:00:00Z+0000') as startDate,
    strftime(ended_on, '%Y-%m-%dT00:00:00Z+0000') as endDate
from ma_campaigns
