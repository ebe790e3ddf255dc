-- Change Status in Progression (104): a registration or attendance in a program is its
-- member's new status; the program is the primary attribute.
select
    a._day,
    a.activity_id as id,
    a._fivetran_synced,
    a.activity_date,
    104 as activity_type_id,
    a.smart_campaign_id as campaign_id,
    a.lead_id,
    p.name as primary_attribute_value,
    a.program_id as primary_attribute_value_id,
    case a.activity_type when 'event_registration' then 'Registered' else 'Attended' end
        as new_status,
    case a.activity_type when 'event_registration' then 'Invited' else 'Registered' end
        as old_status,
    cast(null as varchar) as reason,
    true as success
from marketo_activity as a
left join (
    select
        campaign_id,
        arg_max(name, _day) as name
    from ma_campaigns
    group by 1
) as p on a.program_id = p.campaign_id
where a.activity_type in ('event_registration', 'event_attendance') and a.program_id is not null
