{#- Who acted, per ABM account (the company, customer or prospect), local day and record:
    an MA lead for MA activities, a CRM contact for CRM ones. The features count persons
    as they were known at each cutoff (int_ml_person_records): a lead matched to a contact
    the CRM only created later must not count as that contact before. contact_id is the
    CRM contact behind the activity (the lead's matched contact for MA), kept so features
    can count only contacts known at their cutoff. Only activities in which the person
    acted count (activity_weights.is_engagement). -#}
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
        case when activities.source = 'ma' then 'ma_lead' else 'crm_contact' end as record_type,
        case when activities.source = 'ma' then activities.lead_id else activities.contact_id end as record_id,
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
        record_type,
        record_id,
        max(contact_id) as contact_id,
        {{ dbt.bool_or('is_two_way') }} as is_two_way
    from keyed
    group by account_key, activity_date, record_type, record_id
)

select * from final
