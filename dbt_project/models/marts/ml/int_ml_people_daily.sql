{#- Who acted, per ABM account (the company, customer or prospect), local day and person, as the
    ML features count people: an MA lead by its lead key, a CRM contact by its contact key.
    A lead is not merged into the CRM contact it was matched to: that match may only
    have been learnt after the day (the lead handed over to sales later), and a
    point-in-time feature must not see it. contact_id is the CRM contact behind the
    activity (the lead's matched contact for MA), kept so features can count only
    contacts known at their cutoff. Only activities in which the person acted count
    (activity_weights.is_engagement). -#}
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

keyed as (
    select
        activities.account_key,
        activities.occurred_on as activity_date,
        case
            when activities.source = 'ma' then {{ dbt.concat(["'lead:'", "activities.lead_id"]) }}
            else {{ dbt.concat(["'contact:'", "activities.contact_id"]) }}
        end as person_key,
        activities.contact_id,
        activities.is_two_way
    from activities
    inner join weights
        on activities.source = weights.source
        and activities.activity_type = weights.activity_type
    where (activities.source = 'ma' and activities.lead_id is not null)
        or (activities.source = 'crm' and activities.contact_id is not null)
),

final as (
    select
        account_key,
        activity_date,
        person_key,
        max(contact_id) as contact_id,
        {{ dbt.bool_or('is_two_way') }} as is_two_way
    from keyed
    group by account_key, activity_date, person_key
)

select * from final
