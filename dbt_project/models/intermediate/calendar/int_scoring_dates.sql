{#- The dates scores are taken on: every Sunday (the end of a Monday-first week) from the
    first activity to the data date, and the data date itself. Weekly, because MQAs are
    handed to sales weekly; the data date, so the latest row is current. -#}
with activities as (
    select min(occurred_on) as first_date from {{ ref('fct_activities') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

days as (
    {{ date_series('(select first_date from activities)', '(select data_date from data_date)') }}
),

final as (
    select
        days.date_day as as_of_date,
        days.date_day = data_date.data_date as is_latest
    from days
    cross join data_date
    where {{ week_end('days.date_day') }} = days.date_day
        or days.date_day = data_date.data_date
)

select * from final
