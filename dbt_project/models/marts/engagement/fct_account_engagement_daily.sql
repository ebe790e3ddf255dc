{#- Behaviour per ABM account (the company, customer or prospect), day and activity type: how
    many activities, by how many people and CRM contacts, and the points they earned,
    capped per day as the activity_weights seed says. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
    where account_key is not null
),

weights as (
    select * from {{ ref('activity_weights') }}
),

daily as (
    select
        account_key,
        occurred_on as activity_date,
        source,
        activity_type,
        count(*) as activity_count,
        count(distinct coalesce(contact_id, lead_id)) as distinct_people,
        count(distinct contact_id) as distinct_contacts
    from activities
    group by account_key, occurred_on, source, activity_type
),

final as (
    select
        daily.account_key,
        daily.activity_date,
        daily.source,
        daily.activity_type,
        daily.activity_count,
        daily.distinct_people,
        daily.distinct_contacts,
        coalesce(case
            when weights.points >= 0
                then least(daily.activity_count * weights.points, weights.daily_cap)
            else greatest(daily.activity_count * weights.points, weights.daily_cap)
        end, 0) as points
    from daily
    left join weights
        on daily.source = weights.source
        and daily.activity_type = weights.activity_type
)

select * from final
