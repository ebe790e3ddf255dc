-- Download Content (custom type 100001): the document is the primary attribute.
select
    _day,
    activity_id as id,
    _fivetran_synced,
    activity_date,
    100001 as activity_type_id,
    smart_campaign_id as campaign_id,
    lead_id,
    cast(null as varchar) as primary_attribute_value,
    asset_id as primary_attribute_value_id,
    asset_id as asset
from marketo_activity
where activity_type = 'content_download'
