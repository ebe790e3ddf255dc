{#- Who engaged with each ABM account on each day: one row per account, day and person (a
    CRM contact, or an MA lead not known as a contact), with the contact's buying role.
    Only activities in which the person acted count (activity_weights.is_engagement). -#}
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

final as (
    select
        activities.account_key,
        activities.occurred_on as activity_date,
        coalesce(activities.contact_id, {{ dbt.concat(["'lead:'", "activities.lead_id"]) }}) as person_key,
        max(activities.contact_id) as contact_id,
        max(activities.buying_role) as buying_role,
        count(*) as activity_count,
        {{ dbt.bool_or('activities.is_two_way') }} as is_two_way
    from activities
    inner join weights
        on activities.source = weights.source
        and activities.activity_type = weights.activity_type
    where coalesce(activities.contact_id, activities.lead_id) is not null
    group by
        activities.account_key,
        activities.occurred_on,
        coalesce(activities.contact_id, {{ dbt.concat(["'lead:'", "activities.lead_id"]) }})
)

select * from final
