-- NTA corporate-number records (full and diff files stacked) as company-database rows.
-- Per corporate number the latest row of the day wins (update date, then the diff file,
-- then the sequence number); closed, deleted and past records are left out with why.
with delivered as (
    select
        0 as edition_order,
        *
    from zenken
    union all by name
    select
        1 as edition_order,
        *
    from sabun
),

ranked as (
    select
        *,
        row_number() over (
            partition by kz_trim(corporatenumber)
            order by
                kz_date(updatedate) desc nulls last,
                edition_order desc,
                try_cast(sequencenumber as bigint) desc nulls last,
                _row_number desc
        ) as version_rank
    from delivered
)

select
    _file,
    _row_number,
    kz_trim(corporatenumber) as corporate_number,
    kz_trim(name) as company_name,
    kz_trim(furigana) as company_name_kana,
    kz_trim(prefecturename) as prefecture,
    null as industry_code,
    null as employees,
    null as revenue_jpy,
    null as revenue_growth_rate,
    null as parent_corporate_number,
    null as domain,
    null as listed,
    kz_date(updatedate) as updated_at,
    case
        when lower(kz_trim(corporatenumber)) = 'corporatenumber'
            then 'a header line (the NTA publishes its files without one)'
        when not regexp_full_match(coalesce(kz_trim(corporatenumber), ''), '[0-9]{13}')
            then 'corporate number is not 13 digits'
        when kz_trim(process) = '99' then 'deleted by the NTA (process 99)'
        when kz_trim(closedate) is not null or kz_trim(process) in ('21', '71', '81')
            then 'closed company (登記記録の閉鎖等, process ' || coalesce(kz_trim(process), '?')
                || ', closed ' || coalesce(kz_trim(closedate), 'on an unknown date') || ')'
        when kz_trim(latest) = '0' then 'a past record (latest = 0), not the current one'
        when version_rank > 1
            then 'superseded by a later row for the same corporate number'
        when kz_trim(updatedate) is null then 'no update date'
    end as _excluded
from ranked
