-- Register for Event (custom type 100003): a registration outside a program.
select
    _day,
    activity_id as id,
    _fivetran_synced,
    activity_date,
    100003 as activity_type_id,
    smart_campaign_id as campaign_id,
    lead_id,
    cast(null as varchar) as primary_attribute_value,
    asset_id as primary_attribute_value_id,
    'Outside a program' as source
from marketo_activity
where activity_type = 'event_registration' and program_id is null
