-- A program's cost as one period cost, from its start.
select
    _day,
    campaign_id as program_id,
    0 as index,
    cost_jpy as cost,
    cast(null as varchar) as note,
    started_on as start_date,
    cast(started_on as timestamptz) + interval 1 hour as _fivetran_synced
from ma_campaigns
where cost_jpy is not null
