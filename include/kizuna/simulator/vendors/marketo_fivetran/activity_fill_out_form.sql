-- Fill Out Form (2): the page the form was on.
select
    _day,
    activity_id as id,
    _fivetran_synced,
    activity_date,
    2 as activity_type_id,
    smart_campaign_id as campaign_id,
    lead_id,
    asset_id as webform_id,
    url as referrer_url,
    cast(null as varchar) as primary_attribute_value,
    asset_id as primary_attribute_value_id
from marketo_activity
where activity_type = 'form_submit'
