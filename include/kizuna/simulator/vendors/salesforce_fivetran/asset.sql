-- Asset as Fivetran lands it: the export writer's rows under the adapter's
-- spelling of their columns, date/times, dates and numbers typed.
select
    * replace (
        cast(CreatedDate as timestamptz) as CreatedDate,
        cast(LastModifiedDate as timestamptz) as LastModifiedDate,
        cast(SystemModstamp as timestamptz) as SystemModstamp,
        cast(InstallDate as date) as InstallDate,
        cast(LifecycleStartDate as date) as LifecycleStartDate,
        cast(LifecycleEndDate as date) as LifecycleEndDate,
        cast(Price as double) as Price,
        cast(Quantity as double) as Quantity
    ),
    cast(_day + 1 as timestamptz) as _fivetran_synced,
    false as _fivetran_deleted
from asset
