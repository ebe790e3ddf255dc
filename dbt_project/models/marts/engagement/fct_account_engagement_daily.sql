{#- Behaviour points per account, day and activity type, capped per day as the
    activity_weights seed says. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
    where account_id is not null
),

weights as (
    select * from {{ ref('activity_weights') }}
),

daily as (
    select
        account_id,
        occurred_on as activity_date,
        source,
        activity_type,
        count(*) as activity_count,
        count(distinct coalesce(contact_id, lead_id)) as distinct_people
    from activities
    group by account_id, occurred_on, source, activity_type
),

final as (
    select
        daily.account_id,
        daily.activity_date,
        daily.source,
        daily.activity_type,
        daily.activity_count,
        daily.distinct_people,
        case
            when weights.points >= 0
                then least(daily.activity_count * weights.points, weights.daily_cap)
            else greatest(daily.activity_count * weights.points, weights.daily_cap)
        end as points
    from daily
    left join weights
        on daily.source = weights.source
        and daily.activity_type = weights.activity_type
)

select * from final
