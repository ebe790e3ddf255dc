{#- The cutoff dates the ML features are taken on: the 1st of every month from
    var ml_min_history_days after the first marketing activity to the data date, and
    the data date itself (the scoring date). A cutoff means "everything known by the end
    of that local day"; labels look at the ml_label_window_days after it and are known
    only once that window has passed the data date. -#}
with first_activity as (
    select min(occurred_on) as first_date
    from {{ ref('fct_activities') }}
    where source = 'ma'
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

bounds as (
    select
        {{ add_days('first_activity.first_date', var('ml_min_history_days')) }} as first_cutoff,
        data_date.data_date
    from first_activity
    cross join data_date
),

days as (
    {{ date_series('(select first_cutoff from bounds)', '(select data_date from bounds)') }}
),

candidates as (
    select days.date_day as cutoff_date
    from days
    where {{ month_start('days.date_day') }} = days.date_day
    union
    select data_date from bounds
    where first_cutoff <= data_date
),

final as (
    select
        candidates.cutoff_date,
        candidates.cutoff_date = bounds.data_date as is_scoring_date,
        {{ add_days('candidates.cutoff_date', var('ml_label_window_days')) }} as label_window_end,
        {{ add_days('candidates.cutoff_date', var('ml_label_window_days')) }} <= bounds.data_date as is_label_complete
    from candidates
    cross join bounds
)

select * from final
