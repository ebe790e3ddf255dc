-- Each stage a deal entered, from the export's "Date entered <stage> (<pipeline>)" columns
-- (one deal row feeds one history row per stage it reached); a deal that reached none
-- is left out saying so.
with entered as (
    unpivot (
        select
            _file,
            _row_number,
            record_id,
            columns('^date_entered_')
        from deals
    )
    on columns('^date_entered_')
    into name stage_column value entered_at
),

entered_staged as (
    select
        *,
        regexp_replace(
            coalesce(
                nullif(regexp_extract(stage_column, '^date_entered_"?(.*?)_\(', 1), ''),
                regexp_replace(stage_column, '^date_entered_"?|"$', '', 'g')
            ),
            '[\s_\-"]', '', 'g'
        ) as stage_key
    from entered
    where kz_trim(entered_at) is not null
),

history as (
    select
        _file,
        _row_number,
        kz_trim(record_id) as opportunity_id,
        kz_timestamp(entered_at) as changed_at,
        case
            when stage_key = 'appointmentscheduled' then 'prospecting'
            when stage_key = 'qualifiedtobuy' then 'qualification'
            when stage_key in ('presentationscheduled', 'decisionmakerboughtin') then 'proposal'
            when stage_key = 'contractsent' then 'negotiation'
            when stage_key like '%closedwon%' or stage_key like '%成約%' then 'closed_won'
            when stage_key like '%closedlost%' or stage_key like '%不成立%'
                or stage_key like '%失注%' then 'closed_lost'
            when stage_key like '%negotiat%' or stage_key like '%contract%'
                or stage_key like '%契約%' or stage_key like '%交渉%' then 'negotiation'
            when stage_key like '%proposal%' or stage_key like '%presentation%'
                or stage_key like '%decision%' or stage_key like '%提案%'
                or stage_key like '%プレゼン%' or stage_key like '%決裁%' then 'proposal'
            when stage_key like '%qualif%' or stage_key like '%見込み%' then 'qualification'
            when stage_key like '%appointment%' or stage_key like '%prospect%'
                or stage_key like '%アポ%' then 'prospecting'
        end as stage,
        stage_column
    from entered_staged
)

select
    d._file,
    d._row_number,
    coalesce(h.opportunity_id, kz_trim(d.record_id)) as opportunity_id,
    h.changed_at,
    h.stage,
    null as amount_jpy,
    case
        when kz_trim(d.record_id) is null then 'no Record ID'
        when h._file is null then 'no "Date entered" stage dates in the export'
        when h.stage is null
            then 'stage column ' || h.stage_column || ' has no contract stage'
    end as _excluded
from deals as d
left join history as h on d._file = h._file and d._row_number = h._row_number
