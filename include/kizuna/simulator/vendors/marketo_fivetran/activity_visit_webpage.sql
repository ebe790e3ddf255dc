-- Visit Webpage (1): the page's URL.
select
    _day,
    activity_id as id,
    _fivetran_synced,
    activity_date,
    1 as activity_type_id,
    smart_campaign_id as campaign_id,
    lead_id,
    asset_id as webpage_id,
    url as webpage_url,
    url as primary_attribute_value,
    asset_id as primary_attribute_value_id
from marketo_activity
where activity_type = 'web_visit'
