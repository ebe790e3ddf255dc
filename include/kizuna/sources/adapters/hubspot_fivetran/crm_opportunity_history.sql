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
    case
        when s.is_won then 'closed_won'
        when s.is_closed then 'closed_lost'
        when lower(coalesce(s.label, h.value)) like '%negotiat%'
            or lower(coalesce(s.label, h.value)) like '%contract%' then 'negotiation'
        when lower(coalesce(s.label, h.value)) like '%proposal%'
            or lower(coalesce(s.label, h.value)) like '%presentation%'
            or lower(coalesce(s.label, h.value)) like '%decision%' then 'proposal'
        when lower(coalesce(s.label, h.value)) like '%qualif%' then 'qualification'
        else 'prospecting'
    end as stage,
    null as amount_jpy,
    case when kz_trim(h.date_entered) is null then 'no date the stage was entered' end
        as _excluded
from deal_stage as h
left join stages as s on h.value = s.stage_id
