{#- One row per reporting month, from the first month with an activity or a deal to the
    month of the data date, with the month's last day. -#}
with bounds as (
    select
        least(
            (select min(occurred_on) from {{ ref('fct_activities') }}),
            (select min(created_on) from {{ ref('stg_crm__opportunities') }})
        ) as first_date,
        (select data_date from {{ ref('int_data_date') }}) as last_date
),

days as (
    {{ date_series('(select first_date from bounds)', '(select last_date from bounds)') }}
),

final as (
    select
        {{ month_start('date_day') }} as month,
        max(date_day) as month_end
    from days
    group by {{ month_start('date_day') }}
)

select * from final
