{#- One row per ML cutoff: the calendar ahead, the share of the label window's days in
    the fiscal year-end (January to March). A feature family of mart_account_features. -#}
with cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

-- the calendar ahead: how much of the label window falls in the fiscal year-end (Jan-Mar)
window_days as (
    {{ date_series('(select min(cutoff_date) from cutoffs)', '(select max(label_window_end) from cutoffs)') }}
),

final as (
    select
        cutoffs.cutoff_date,
        avg(case when extract(month from window_days.date_day) <= 3 then 1.0 else 0.0 end) as fiscal_year_end_share
    from cutoffs
    inner join window_days
        on window_days.date_day > cutoffs.cutoff_date
        and window_days.date_day <= cutoffs.label_window_end
    group by cutoffs.cutoff_date
)

select * from final
