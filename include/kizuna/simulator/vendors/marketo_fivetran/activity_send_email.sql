-- Send Email (6): the mail is the primary attribute.
select
    _day,
    activity_id as id,
    _fivetran_synced,
    activity_date,
    6 as activity_type_id,
    smart_campaign_id as campaign_id,
    lead_id,
    'succeeded' as action_result,
    asset_id as email_template_id,
    cast(null as varchar) as primary_attribute_value,
    asset_id as primary_attribute_value_id
from marketo_activity
where activity_type = 'email_send'
