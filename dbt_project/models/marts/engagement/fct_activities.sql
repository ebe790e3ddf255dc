{{
    config(
        materialized='incremental',
        unique_key='activity_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}
{#- Every touchpoint, marketing (MA) and sales (CRM), resolved to contact, CRM account,
    the account's primary account (duplicates count together) and the ABM account
    (account_key: the company, customer or prospect; a lead whose company has no CRM
    account still reaches it). Activities
    naming a lead, campaign, account or contact the exports left out are kept, flagged
    (has_known_*).

    Incremental: a run rebuilds the activities of the last `activities_lookback_days`
    days (late or re-delivered rows), activity keys not yet in the table, and the
    activities of leads and accounts whose identity resolution changed since they were
    written (a table written before account_key existed gains the column, and every
    resolved activity is rewritten with it); `dbt build --full-refresh` rebuilds
    everything. -#}
with ma_activities as (
    select * from {{ ref('stg_ma__activities') }}
),

crm_activities as (
    select * from {{ ref('stg_crm__activities') }}
),

leads as (
    select
        lead_id,
        contact_id,
        account_id,
        account_key
    from {{ ref('dim_leads') }}
),

account_matches as (
    select
        account_id,
        primary_account_id,
        account_key
    from {{ ref('int_account_company_matches') }}
),

contacts as (
    select
        contact_id,
        buying_role
    from {{ ref('stg_crm__contacts') }}
),

campaigns as (
    select campaign_id from {{ ref('stg_ma__campaigns') }}
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
        leads.account_key,
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
        cast(null as {{ dbt.type_string() }}) as account_key,
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

resolved as (
    select
        {{ dbt.concat(["unioned.source", "':'", "unioned.activity_id"]) }} as activity_key,
        unioned.source,
        unioned.activity_id,
        unioned.activity_type,
        unioned.occurred_at,
        unioned.occurred_on,
        unioned.lead_id,
        unioned.contact_id,
        unioned.account_id,
        account_matches.primary_account_id,
        -- a CRM activity reaches the ABM account through its CRM account
        coalesce(unioned.account_key, account_matches.account_key) as account_key,
        contacts.buying_role,
        unioned.campaign_id,
        unioned.asset_id,
        unioned.url,
        unioned.outcome,
        -- the customer answered: a meeting held, a call taken or returned, a reply, a
        -- proposal accepted
        (
            unioned.source = 'crm'
            and unioned.outcome in ('completed', 'inbound', 'replied', 'accepted')
        ) as is_two_way,
        -- false for a reference to a row the export never delivered (the activity is
        -- kept), null when the activity names none
        case when unioned.lead_id is not null then known_leads.lead_id is not null end as has_known_lead,
        case when unioned.campaign_id is not null then campaigns.campaign_id is not null end as has_known_campaign,
        case when unioned.account_id is not null then account_matches.account_id is not null end as has_known_account,
        case when unioned.contact_id is not null then contacts.contact_id is not null end as has_known_contact
    from unioned
    left join account_matches
        on unioned.account_id = account_matches.account_id
    left join contacts
        on unioned.contact_id = contacts.contact_id
    left join leads as known_leads
        on unioned.lead_id = known_leads.lead_id
    left join campaigns
        on unioned.campaign_id = campaigns.campaign_id
),

{% if is_incremental() %}

{#- a table written before account_key existed: its rows read as unresolved to an ABM
    account, so every resolved one counts as changed and is rewritten -#}
{%- set existing_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}

existing_resolutions as (
    select distinct
        lead_id,
        contact_id,
        account_id,
        primary_account_id,
        {% if 'account_key' in existing_columns -%}
        account_key
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as account_key
        {%- endif %}
    from {{ this }}
),

changed_leads as (
    select distinct existing_resolutions.lead_id
    from existing_resolutions
    inner join leads
        on existing_resolutions.lead_id = leads.lead_id
    left join account_matches
        on leads.account_id = account_matches.account_id
    where coalesce(existing_resolutions.contact_id, '') <> coalesce(leads.contact_id, '')
        or coalesce(existing_resolutions.account_id, '') <> coalesce(leads.account_id, '')
        or coalesce(existing_resolutions.primary_account_id, '') <> coalesce(account_matches.primary_account_id, '')
        or coalesce(existing_resolutions.account_key, '') <> coalesce(leads.account_key, '')
),

changed_accounts as (
    select distinct existing_resolutions.account_id
    from existing_resolutions
    inner join account_matches
        on existing_resolutions.account_id = account_matches.account_id
    where existing_resolutions.lead_id is null
        and (
            coalesce(existing_resolutions.primary_account_id, '') <> coalesce(account_matches.primary_account_id, '')
            or coalesce(existing_resolutions.account_key, '') <> coalesce(account_matches.account_key, '')
        )
),

final as (
    select resolved.*
    from resolved
    left join {{ this }} as existing_rows
        on resolved.activity_key = existing_rows.activity_key
    where existing_rows.activity_key is null
        or resolved.occurred_on >= (
            select {{ add_days('max(occurred_on)', -var('activities_lookback_days')) }} from {{ this }}
        )
        or resolved.lead_id in (select changed_leads.lead_id from changed_leads)
        or (
            resolved.lead_id is null
            and resolved.account_id in (select changed_accounts.account_id from changed_accounts)
        )
)

{% else %}

final as (
    select * from resolved
)

{% endif %}

select * from final
