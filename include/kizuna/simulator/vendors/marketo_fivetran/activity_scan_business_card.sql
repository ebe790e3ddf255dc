-- Scan Business Card (custom type 100002).
select
    _day,
    activity_id as id,
    _fivetran_synced,
    activity_date,
    100002 as activity_type_id,
    smart_campaign_id as campaign_id,
    lead_id,
    cast(null as varchar) as primary_attribute_value,
    asset_id as primary_attribute_value_id,
    'Business card' as source
from marketo_activity
where activity_type = 'business_card_scan'
