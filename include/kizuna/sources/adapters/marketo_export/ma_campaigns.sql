-- Marketo programs (Asset API) as campaigns: channel from the program's channel (free
-- text per instance) or else its type (kz_marketo_channel, shared with marketo_fivetran); cost the sum of its period costs. The Asset API
-- writes dates as 2020-08-14T20:43:13Z+0000; the Z before the offset is dropped.
with program_values as (
    select
        _file,
        _row_number,
        nullif(columns(* exclude (_file, _row_number)), 'null')
    from programs
),

program_rows as (
    select
        *,
        lower(kz_trim(channel)) as channel_text
    from program_values
),

product_tags as (
    -- a "Product" tag, where the instance tags programs with what they promote
    select
        _file,
        _row_number,
        any_value(tag ->> 'tagValue') as product_id
    from (
        select
            _file,
            _row_number,
            unnest(json_extract(try_cast(tags as json), '$[*]')) as tag
        from programs
        where json_type(try_cast(tags as json)) = 'ARRAY'
    )
    where lower(tag ->> 'tagType') like 'product%'
    group by 1, 2
)

select
    p._file,
    p._row_number,
    kz_trim(p.id) as campaign_id,
    kz_trim(p.name) as name,
    kz_marketo_channel(p.channel, p.type) as channel,
    t.product_id,
    kz_date(regexp_replace(p.startdate, 'Z([+-][0-9]{2}:?[0-9]{2})$', '\1')) as started_on,
    kz_date(regexp_replace(p.enddate, 'Z([+-][0-9]{2}:?[0-9]{2})$', '\1')) as ended_on,
    case when json_type(try_cast(p.costs as json)) = 'ARRAY' then kz_in_reporting_currency(
        cast(list_sum(list_transform(json_extract_string(try_cast(p.costs as json), '$[*].cost'),
                                     lambda c: try_cast(c as decimal(18, 4)))) as varchar),
        null) end as cost_jpy,
    case
        when kz_trim(p.id) is null then 'no program id'
        -- Marketo's Operational channel holds housekeeping programs, not campaigns
        when p.channel_text = 'operational' then 'operational program, not a campaign'
    end as _excluded
from program_rows as p
left join product_tags as t on p._file = t._file and p._row_number = t._row_number
