{#- The date the warehouse's data runs to: the latest date folder of any published batch.
    "Current" in the marts means as of this date, never as of the day dbt happens to run,
    so rebuilding the same data gives the same tables. -#}
with batches as (
    select data_interval
    from {{ source('audit', 'load_batches') }}
    where status = 'published'
),

final as (
    select cast(coalesce(max(data_interval), current_date) as date) as data_date
    from batches
)

select * from final
