{#- Every touchpoint, marketing and sales, resolved to contact and account. -#}
with ma_activities as (
    select * from {{ ref('stg_ma__activities') }}
),

crm_activities as (
    select * from {{ ref('stg_crm__activities') }}
),

leads as (
    select * from {{ ref('dim_leads') }}
),

ma as (
    select
        'ma' as source,
        ma_activities.activity_id,
        ma_activities.activity_type,
        ma_activities.occurred_at,
        ma_activities.occurred_on,
        ma_activities.lead_id,
        leads.contact_id,
        leads.account_id,
        ma_activities.campaign_id,
        ma_activities.asset_id,
        ma_activities.url,
        cast(null as {{ dbt.type_string() }}) as outcome
    from ma_activities
    left join leads
        on ma_activities.lead_id = leads.lead_id
),

crm as (
    select
        'crm' as source,
        activity_id,
        activity_type,
        occurred_at,
        occurred_on,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        contact_id,
        account_id,
        cast(null as {{ dbt.type_string() }}) as campaign_id,
        cast(null as {{ dbt.type_string() }}) as asset_id,
        cast(null as {{ dbt.type_string() }}) as url,
        outcome
    from crm_activities
),

unioned as (
    select * from ma
    union all
    select * from crm
),

final as (
    select
        {{ dbt.concat(["source", "':'", "activity_id"]) }} as activity_key,
        *
    from unioned
)

select * from final
