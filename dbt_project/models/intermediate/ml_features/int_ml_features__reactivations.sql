{#- One row per ABM account per ML cutoff with a reactivation by then: two-way activity
    after at least var dormancy_days of silence, counted up to the cutoff. A feature
    family of mart_account_features. -#}
with cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

signals as (
    select * from {{ ref('int_ml_account_signals_daily') }}
),

two_way_days as (
    select distinct
        account_key,
        activity_date
    from signals
    where two_way_touches > 0
),

dormancy_gaps as (
    select
        account_key,
        activity_date,
        {{ days_between(
            'lag(activity_date) over (partition by account_key order by activity_date)', 'activity_date'
        ) }} as gap_days
    from two_way_days
),

final as (
    select
        cutoffs.cutoff_date,
        dormancy_gaps.account_key,
        count(*) as reactivations
    from cutoffs
    inner join dormancy_gaps
        on dormancy_gaps.activity_date <= cutoffs.cutoff_date
        and dormancy_gaps.gap_days >= {{ var('dormancy_days') }}
    group by cutoffs.cutoff_date, dormancy_gaps.account_key
)

select * from final
