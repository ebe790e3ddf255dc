{#- Lead-score calibration: one row per behaviour-score band (seed lead_score_bands).
    Each month start is a cutoff; a lead's score at a cutoff is its behaviour score then
    (int_lead_behaviour_scores: activity_weights points of the var lead_score_window_days
    up to the end of the cutoff day); the lead converts when its account gets a new
    opportunity within lead_conversion_window_days after. Pooled over every cutoff whose
    window has fully passed. Read from the top band down to set the hand-off threshold:
    conversion and the share of conversions captured at or above. -#}
with activities as (
    select occurred_on from {{ ref('fct_activities') }}
    where source = 'ma'
),

behaviour as (
    select
        lead_id,
        cutoff_date,
        behaviour_score
    from {{ ref('int_lead_behaviour_scores') }}
),

leads as (
    select
        lead_id,
        account_id
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
    where months.month >= (
            select {{ add_days(month_start('min(occurred_on)'), var('lead_score_window_days')) }} from activities
        )
        and {{ add_days('months.month', var('lead_conversion_window_days')) }} <= data_date.data_date
),

scores as (
    select
        cutoffs.cutoff_date,
        leads.lead_id,
        account_matches.primary_account_id,
        behaviour.behaviour_score as score
    from cutoffs
    inner join behaviour
        on cutoffs.cutoff_date = behaviour.cutoff_date
    inner join leads
        on behaviour.lead_id = leads.lead_id
    inner join account_matches
        on leads.account_id = account_matches.account_id
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
        -- after the cutoff day, whose activity the score has read
        and opportunities.created_on > scores.cutoff_date
        and opportunities.created_on <= {{ add_days('scores.cutoff_date', var('lead_conversion_window_days')) }}
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
