{#- Who engaged with each ABM account on each day: one row per account, day and person
    (int_person_records: the leads and CRM contacts of one human count once), with the
    person's CRM contact and its buying role. Only activities in which the person acted
    count (activity_weights.is_engagement). -#}
with activities as (
    select * from {{ ref('fct_activities') }}
    where account_key is not null
),

weights as (
    select
        source,
        activity_type
    from {{ ref('activity_weights') }}
    where is_engagement
),

person_records as (
    select * from {{ ref('int_person_records') }}
),

-- an activity naming a lead or contact the exports left out keeps the record's own key
keyed as (
    select
        activities.account_key,
        activities.occurred_on as activity_date,
        coalesce(
            lead_persons.person_key,
            contact_persons.person_key,
            activities.contact_id,
            {{ dbt.concat(["'lead:'", "activities.lead_id"]) }}
        ) as person_key,
        activities.contact_id,
        activities.buying_role,
        activities.is_two_way
    from activities
    inner join weights
        on activities.source = weights.source
        and activities.activity_type = weights.activity_type
    left join person_records as lead_persons
        on lead_persons.record_type = 'ma_lead'
        and activities.lead_id = lead_persons.record_id
    left join person_records as contact_persons
        on contact_persons.record_type = 'crm_contact'
        and activities.contact_id = contact_persons.record_id
    where coalesce(activities.contact_id, activities.lead_id) is not null
),

final as (
    select
        account_key,
        activity_date,
        person_key,
        max(contact_id) as contact_id,
        max(buying_role) as buying_role,
        count(*) as activity_count,
        {{ dbt.bool_or('is_two_way') }} as is_two_way
    from keyed
    group by account_key, activity_date, person_key
)

select * from final
