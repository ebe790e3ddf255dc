{#- Lead-score calibration: one row per behaviour-score band (seed lead_score_bands).
    Each month start is a cutoff; a lead's score at a cutoff is the points its MA
    activities earned in the 90 days before (activity_weights); the lead converts when
    its account gets a new opportunity within lead_conversion_window_days after. Pooled
    over every cutoff whose window has fully passed. Read from the top band down to set
    the hand-off threshold: conversion and the share of conversions captured at or above. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
    where source = 'ma'
),

weights as (
    select * from {{ ref('activity_weights') }}
    where source = 'ma'
),

leads as (
    select
        lead_id,
        account_id,
        created_at
    from {{ ref('dim_leads') }}
    where account_id is not null
),

account_matches as (
    select
        account_id,
        primary_account_id
    from {{ ref('int_account_company_matches') }}
),

opportunities as (
    select
        primary_account_id,
        created_on
    from {{ ref('fct_opportunities') }}
),

months as (
    select * from {{ ref('int_months') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

bands as (
    select * from {{ ref('lead_score_bands') }}
),

cutoffs as (
    select months.month as cutoff_date
    from months
    cross join data_date
    where months.month >= (select {{ add_days(month_start('min(occurred_on)'), 90) }} from activities)
        and {{ add_days('months.month', var('lead_conversion_window_days')) }} <= data_date.data_date
),

lead_days as (
    select
        activities.lead_id,
        activities.occurred_on,
        sum(weights.points) as points
    from activities
    inner join weights
        on activities.activity_type = weights.activity_type
    group by activities.lead_id, activities.occurred_on
),

scores as (
    select
        cutoffs.cutoff_date,
        leads.lead_id,
        account_matches.primary_account_id,
        greatest(coalesce(sum(lead_days.points), 0), 0) as score
    from cutoffs
    inner join leads
        on {{ local_date('leads.created_at') }} < cutoffs.cutoff_date
    inner join account_matches
        on leads.account_id = account_matches.account_id
    left join lead_days
        on leads.lead_id = lead_days.lead_id
        and lead_days.occurred_on < cutoffs.cutoff_date
        and lead_days.occurred_on >= {{ add_days('cutoffs.cutoff_date', -90) }}
    group by cutoffs.cutoff_date, leads.lead_id, account_matches.primary_account_id
),

converted as (
    select
        scores.cutoff_date,
        scores.lead_id,
        scores.score,
        count(opportunities.primary_account_id) > 0 as has_converted
    from scores
    left join opportunities
        on scores.primary_account_id = opportunities.primary_account_id
        and opportunities.created_on >= scores.cutoff_date
        and opportunities.created_on < {{ add_days('scores.cutoff_date', var('lead_conversion_window_days')) }}
    group by scores.cutoff_date, scores.lead_id, scores.score
),

banded as (
    select
        bands.band,
        bands.min_score,
        bands.max_score,
        count(converted.lead_id) as lead_cutoffs,
        sum(case when converted.has_converted then 1 else 0 end) as conversions
    from bands
    left join converted
        on converted.score >= bands.min_score
        and (bands.max_score is null or converted.score < bands.max_score)
    group by bands.band, bands.min_score, bands.max_score
),

cumulative as (
    select
        *,
        sum(lead_cutoffs) over (
            order by min_score desc rows between unbounded preceding and current row
        ) as lead_cutoffs_at_or_above,
        sum(conversions) over (
            order by min_score desc rows between unbounded preceding and current row
        ) as conversions_at_or_above,
        sum(conversions) over () as all_conversions,
        (select count(*) from cutoffs) as cutoffs
    from banded
),

final as (
    select
        band,
        min_score,
        max_score,
        cutoffs,
        lead_cutoffs,
        conversions,
        {{ round_to(safe_divide('conversions', 'lead_cutoffs'), 4) }} as conversion_rate,
        lead_cutoffs_at_or_above,
        {{ round_to(safe_divide(
            'conversions_at_or_above', 'lead_cutoffs_at_or_above'
        ), 4) }} as conversion_rate_at_or_above,
        {{ round_to(safe_divide('conversions_at_or_above', 'all_conversions'), 4) }} as share_of_conversions_at_or_above
    from cumulative
)

select * from final
