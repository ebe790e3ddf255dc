-- OpportunityHistory as Fivetran lands it: the export writer's rows under the adapter's
-- spelling of their columns, date/times and numbers typed.
select
    * replace (
        cast(CreatedDate as timestamptz) as CreatedDate,
        cast(SystemModstamp as timestamptz) as SystemModstamp,
        cast(Amount as double) as Amount
    ),
    cast(_day + 1 as timestamptz) as _fivetran_synced,
    false as _fivetran_deleted
from opportunityhistory
