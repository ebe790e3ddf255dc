-- Each stage a deal entered, from the export's "Date entered <stage> (<pipeline>)" columns
-- (one deal row feeds one history row per stage it reached); a deal that reached none
-- is left out saying so. Every export of a deal repeats the dates it entered its earlier
-- stages: a stage date comes in once, from the first export row that carries it (an
-- earlier day's file, else the earlier row of the same file), and a deal row that brings
-- no new one is left out saying so.
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

entered_before as (
    unpivot (
        select
            record_id,
            columns('^date_entered_')
        from deals__history
        where _file not in (select d._file from deals as d)
    )
    on columns('^date_entered_')
    into name stage_column value entered_at
),

delivered_before as (
    select distinct
        kz_trim(record_id) as opportunity_id,
        stage_column,
        kz_timestamp(entered_at) as changed_at
    from entered_before
    where kz_trim(entered_at) is not null
),

entered_staged as (
    select
        e.*,
        regexp_replace(
            coalesce(
                nullif(regexp_extract(e.stage_column, '^date_entered_"?(.*?)_\(', 1), ''),
                regexp_replace(e.stage_column, '^date_entered_"?|"$', '', 'g')
            ),
            '[\s_\-"]', '', 'g'
        ) as stage_key,
        b.opportunity_id is not null or row_number() over (
            partition by kz_trim(e.record_id), e.stage_column, kz_timestamp(e.entered_at)
            order by e._file, e._row_number
        ) > 1 as delivered_earlier
    from entered as e
    left join delivered_before as b
        on kz_trim(e.record_id) = b.opportunity_id
        and e.stage_column = b.stage_column
        and kz_timestamp(e.entered_at) = b.changed_at
    where kz_trim(e.entered_at) is not null
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
        stage_column,
        delivered_earlier
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
        when h.delivered_earlier
            then 'no new stage date: each came with an earlier export row of the deal'
        when h.stage is null
            then 'stage column ' || h.stage_column || ' has no contract stage'
    end as _excluded
from deals as d
left join history as h on d._file = h._file and d._row_number = h._row_number
