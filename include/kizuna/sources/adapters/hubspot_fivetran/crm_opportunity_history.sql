-- Each stage a deal entered (HubSpot's deal_stage history), in the contract's stages.
with stages as (
    select
        stage_id,
        any_value(label) as label,
        bool_or(kz_bool(closed_won) = 'true') as is_won,
        bool_or(kz_bool(is_closed) = 'true' or kz_bool(closed_won) = 'true') as is_closed
    from deal_pipeline_stage_history
    group by stage_id
)

select
    h._file,
    h._row_number,
    h.deal_id as opportunity_id,
    kz_timestamp(h.date_entered) as changed_at,
    kz_stage(
        coalesce(s.is_won, lower(h.value) = 'closedwon'),
        coalesce(s.is_closed, lower(h.value) in ('closedwon', 'closedlost')),
        coalesce(s.label, h.value),
        null
    ) as stage,
    null as amount_jpy,
    case when kz_trim(h.date_entered) is null then 'no date the stage was entered' end
        as _excluded
from deal_stage as h
left join stages as s on h.value = s.stage_id
