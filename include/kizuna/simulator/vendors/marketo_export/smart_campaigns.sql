-- One trigger smart campaign per program, landed with the program or its first activity,
-- whichever comes first. Its id is a number, as Marketo's are.
with programs as (
    select
        campaign_id,
        min(_day) as _day,
        arg_min(name, _day) as name
    from (
        select campaign_id, _day, name from ma_campaigns
        union all
        select campaign_id, _day, null as name from ma_activities
        where campaign_id is not null
    )
    group by 1
)

select
    _day,
    1000 + dense_rank() over (order by campaign_id) as id,
    coalesce(name, campaign_id) || ' - Smart Campaign' as name,
    'trigger' as type,
    false as isSystem,
    true as isActive,
    false as isRequestable,
    'active' as status,
    'Default' as workspace,
    campaign_id as parentProgramId,
    {'type': 'Program', 'value': campaign_id} as folder
from programs
