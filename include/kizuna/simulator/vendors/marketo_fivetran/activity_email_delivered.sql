-- Email Delivered (7): Marketo logs one for every send that is not bounced (the world
-- bounces none), a few seconds after it; its id is the send's with a suffix.
select
    _day,
    activity_id || '-7' as id,
    _fivetran_synced,
    activity_date + interval 3 second as activity_date,
    7 as activity_type_id,
    smart_campaign_id as campaign_id,
    lead_id,
    asset_id as email_template_id,
    cast(null as varchar) as primary_attribute_value,
    asset_id as primary_attribute_value_id
from marketo_activity
where activity_type = 'email_send'
