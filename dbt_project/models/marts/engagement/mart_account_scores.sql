{#- Fit, engagement and MQA status of every ABM account in play (customer or prospect)
    as of each scoring date. Fit comes from the ICP rules seed applied to the firmographics known on
    the date; engagement from the decayed points of mart_account_engagement; the grade
    combines both (A1 best .. C3); MQA needs fit, engagement and enough engaged people. -#}
with engagement as (
    select * from {{ ref('mart_account_engagement') }}
),

accounts as (
    select
        account_key,
        corporate_number,
        industry_division
    from {{ ref('dim_abm_accounts') }}
),

company_history as (
    select * from {{ ref('int_company_history') }}
),

rules as (
    select * from {{ ref('icp_rules') }}
),

grades as (
    select * from {{ ref('score_grades') }}
),

max_points as (
    select sum(best_points) as points
    from (
        select
            dimension,
            max(points) as best_points
        from rules
        group by dimension
    ) as best
),

firmographics as (
    select
        engagement.account_key,
        engagement.as_of_date,
        coalesce(company_history.industry_division, accounts.industry_division) as industry_division,
        company_history.employees,
        company_history.revenue_growth_rate
    from engagement
    inner join accounts
        on engagement.account_key = accounts.account_key
    left join company_history
        on accounts.corporate_number = company_history.corporate_number
        and {{ valid_at('company_history', local_day_end('engagement.as_of_date')) }}
),

fit_points as (
    select
        firmographics.account_key,
        firmographics.as_of_date,
        sum(rules.points) as points
    from firmographics
    inner join rules
        on (rules.dimension = 'industry_division' and rules.match_value = firmographics.industry_division)
        or (
            rules.dimension = 'employees'
            and firmographics.employees >= coalesce(rules.lower_bound, firmographics.employees)
            and (rules.upper_bound is null or firmographics.employees < rules.upper_bound)
        )
        or (
            rules.dimension = 'revenue_growth_rate'
            and firmographics.revenue_growth_rate >= coalesce(rules.lower_bound, firmographics.revenue_growth_rate)
            and (rules.upper_bound is null or firmographics.revenue_growth_rate < rules.upper_bound)
        )
    group by firmographics.account_key, firmographics.as_of_date
),

scored as (
    select
        engagement.account_key,
        engagement.account_id,
        engagement.as_of_date,
        engagement.is_latest,
        {{ round_to('100.0 * coalesce(fit_points.points, 0) / (select points from max_points)', 2) }} as fit_score,
        {{ engagement_score('engagement.decayed_points') }} as engagement_score,
        engagement.engaged_people_90d,
        engagement.buying_group_coverage,
        engagement.is_surging
    from engagement
    left join fit_points
        on engagement.account_key = fit_points.account_key
        and engagement.as_of_date = fit_points.as_of_date
),

{% for axis in ['fit', 'engagement'] %}
{{ axis }}_grades as (
    select
        account_key,
        as_of_date,
        grade
    from (
        select
            scored.account_key,
            scored.as_of_date,
            grades.grade,
            row_number() over (
                partition by scored.account_key, scored.as_of_date order by grades.min_score desc
            ) as grade_rank
        from scored
        inner join grades
            on grades.axis = '{{ axis }}'
            and grades.min_score <= scored.{{ axis }}_score
    ) as ranked
    where grade_rank = 1
),
{% endfor %}

graded as (
    select
        scored.*,
        fit_grades.grade as fit_grade,
        engagement_grades.grade as engagement_grade
    from scored
    left join fit_grades
        on scored.account_key = fit_grades.account_key
        and scored.as_of_date = fit_grades.as_of_date
    left join engagement_grades
        on scored.account_key = engagement_grades.account_key
        and scored.as_of_date = engagement_grades.as_of_date
),

final as (
    select
        {{ dbt.concat(["account_key", "'@'", "cast(as_of_date as " ~ dbt.type_string() ~ ")"]) }} as account_date_key,
        account_key,
        -- the primary CRM account, null for a prospect
        account_id,
        as_of_date,
        is_latest,
        fit_score,
        engagement_score,
        fit_grade,
        engagement_grade,
        {{ dbt.concat(["fit_grade", "engagement_grade"]) }} as grade,
        engaged_people_90d,
        buying_group_coverage,
        is_surging,
        (
            fit_score >= {{ var('mqa_min_fit_score') }}
            and engagement_score >= {{ var('mqa_min_engagement_score') }}
            and engaged_people_90d >= {{ var('mqa_min_engaged_contacts') }}
        ) as is_mqa
    from graded
)

select * from final
