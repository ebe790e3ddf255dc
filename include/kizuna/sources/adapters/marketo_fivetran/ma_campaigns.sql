-- Fivetran's Marketo programs as campaigns: channel from the program's channel (free text
-- per instance) or else its type (kz_marketo_channel, shared with marketo_export); cost
-- the sum of its program_cost periods; product a "Product" tag, where the instance tags
-- programs with what they promote. A program deleted in Marketo (_fivetran_deleted) or in
-- the Operational channel is left out.
with cost_periods as (
    -- a period synced again after a change is the same period (program_id, index)
    select
        kz_trim(program_id) as program_id,
        kz_trim(index) as period,
        arg_max(try_cast(kz_amount(cost) as decimal(18, 4)), _interval) as cost
    from program_cost_history
    group by 1, 2
),

costs as (
    select
        program_id,
        sum(cost) as cost
    from cost_periods
    group by 1
),

product_tags as (
    select
        kz_trim(program_id) as program_id,
        arg_max(kz_trim(tag_value), _interval) as product_id
    from program_tag_history
    where
        lower(kz_trim(tag_type)) like 'product%'
        and coalesce(kz_bool(_fivetran_deleted), 'false') <> 'true'
    group by 1
),

programs as (
    select
        *,
        lower(kz_trim(channel)) as channel_text
    from program
)

select
    p._file,
    p._row_number,
    kz_trim(p.id) as campaign_id,
    kz_trim(p.name) as name,
    kz_marketo_channel(p.channel, p.type) as channel,
    t.product_id,
    kz_date(p.start_date) as started_on,
    kz_date(p.end_date) as ended_on,
    kz_in_reporting_currency(cast(c.cost as varchar), null) as cost_jpy,
    case
        when kz_trim(p.id) is null then 'no program id'
        when kz_bool(p._fivetran_deleted) = 'true' then 'deleted in Marketo'
        -- Marketo's Operational channel holds housekeeping programs, not campaigns
        when p.channel_text = 'operational' then 'operational program, not a campaign'
    end as _excluded
from programs as p
left join costs as c on kz_trim(p.id) = c.program_id
left join product_tags as t on kz_trim(p.id) = t.program_id
