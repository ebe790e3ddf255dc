-- Smart campaigns: one trigger campaign per program (see _shared.sql).
select
    s._day,
    s.id,
    s.created_at + interval 1 hour as _fivetran_synced,
    false as _fivetran_deleted,
    true as active,
    s.created_at,
    cast(null as varchar) as description,
    coalesce(p.name, s.program_id) || ' - Smart Campaign' as name,
    s.program_id,
    'trigger' as type,
    s.created_at as updated_at,
    'Default' as workspace_name,
    false as is_system,
    false as is_requestable,
    'active' as status
from smart_campaign as s
left join (
    select
        campaign_id,
        arg_min(name, _day) as name
    from ma_campaigns
    group by 1
) as p on s.program_id = p.campaign_id
