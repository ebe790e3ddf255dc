-- Task as Fivetran lands it: the export writer's rows under the adapter's
-- spelling of their columns, date/times and dates typed.
select
    * replace (
        cast(CreatedDate as timestamptz) as CreatedDate,
        cast(SystemModstamp as timestamptz) as SystemModstamp,
        cast(CompletedDateTime as timestamptz) as CompletedDateTime,
        cast(ActivityDate as date) as ActivityDate
    ),
    cast(_day + 1 as timestamptz) as _fivetran_synced,
    false as _fivetran_deleted
from task
