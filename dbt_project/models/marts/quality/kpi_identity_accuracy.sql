{{ config(materialized='view') }}
{#- On a simulated world: how right identity resolution is against the simulator's truth,
    per metric, as measured on the latest data date, beside the data date before (a view,
    so it shows the latest measurement as soon as it is written). Empty on real data. -#}
with measures as (
    select
        *,
        row_number() over (partition by metric order by data_date desc) as recency
    from {{ source('audit', 'simulation_accuracy') }}
),

final as (
    select
        latest.metric,
        latest.data_date,
        latest.numerator,
        latest.denominator,
        latest.value,
        previous.value as previous_value,
        previous.data_date as previous_data_date
    from measures as latest
    left join measures as previous
        on latest.metric = previous.metric and previous.recency = 2
    where latest.recency = 1
)

select * from final
