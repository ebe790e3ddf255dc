-- Pricebook2 as Fivetran lands it: the export writer's rows under the adapter's
-- spelling of their columns.
select
    *,
    cast(_day + 1 as timestamptz) as _fivetran_synced,
    false as _fivetran_deleted
from pricebook2
