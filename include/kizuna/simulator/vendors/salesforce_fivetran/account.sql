-- Account as Fivetran lands it: the export writer's rows under the adapter's
-- spelling of their columns, date/times typed.
select
    * replace (
        cast(CreatedDate as timestamptz) as CreatedDate,
        cast(LastModifiedDate as timestamptz) as LastModifiedDate,
        cast(SystemModstamp as timestamptz) as SystemModstamp
    ),
    cast(_day + 1 as timestamptz) as _fivetran_synced,
    false as _fivetran_deleted
from account
