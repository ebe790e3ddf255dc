-- PricebookEntry as Fivetran lands it: the export writer's rows under the adapter's
-- spelling of their columns, numbers typed.
select
    * replace (
        cast(UnitPrice as double) as UnitPrice
    ),
    cast(_day + 1 as timestamptz) as _fivetran_synced,
    false as _fivetran_deleted
from pricebookentry
