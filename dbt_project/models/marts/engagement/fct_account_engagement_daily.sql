{#- Behaviour per ABM account (the company, customer or prospect), day and activity type: how
    many activities, by how many people (persons: int_person_records) and CRM contacts,
    and the points they earned, capped per day as the activity_weights seed says. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
    where account_key is not null
),

weights as (
    select * from {{ ref('activity_weights') }}
),

person_records as (
    select * from {{ ref('int_person_records') }}
),

-- an activity naming a lead or contact the exports left out keeps the record's own key
people as (
    select
        activities.*,
        coalesce(
            lead_persons.person_key,
            contact_persons.person_key,
            activities.contact_id,
            {{ dbt.concat(["'lead:'", "activities.lead_id"]) }}
        ) as person_key
    from activities
    left join person_records as lead_persons
        on lead_persons.record_type = 'ma_lead'
        and activities.lead_id = lead_persons.record_id
    left join person_records as contact_persons
        on contact_persons.record_type = 'crm_contact'
        and activities.contact_id = contact_persons.record_id
),

daily as (
    select
        account_key,
        occurred_on as activity_date,
        source,
        activity_type,
        count(*) as activity_count,
        count(distinct person_key) as distinct_people,
        count(distinct contact_id) as distinct_contacts
    from people
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
