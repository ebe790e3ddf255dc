{#- Point-in-time features of every MA lead at every ML cutoff since it was created, with
    its label looking forward: one row per lead per cutoff. The lead's own behaviour
    (int_lead_behaviour_scores: its score and activities up to the end of the cutoff day)
    and its account's state at that cutoff (mart_account_features, itself point in time).
    The label is the account's label_opportunity_90d: a new opportunity at the lead's
    account within var ml_label_window_days after the cutoff; 0 for a lead without an
    account then (no opportunity can reach it), null until the window has passed. -#}
with behaviour as (
    select * from {{ ref('int_lead_behaviour_scores') }}
),

leads as (
    select
        lead_id,
        account_key,
        coalesce(lead_source, 'unknown') as lead_source
    from {{ ref('dim_leads') }}
),

accounts as (
    select * from {{ ref('mart_account_features') }}
),

-- the calendar ahead of each cutoff (conversion is seasonal: fiscal years end in March)
calendar as (
    select
        cutoff_date,
        max(cutoff_month) as cutoff_month,
        max(fiscal_year_end_share) as fiscal_year_end_share
    from accounts
    group by cutoff_date
),

final as (
    select
        {{ dbt.concat([
            "behaviour.lead_id", "'@'", "cast(behaviour.cutoff_date as " ~ dbt.type_string() ~ ")"
        ]) }} as lead_cutoff_key,
        behaviour.lead_id,
        accounts.account_key,
        accounts.account_id,
        behaviour.cutoff_date,
        behaviour.is_scoring_date,
        behaviour.is_label_complete,
        -- the lead
        leads.lead_source,
        behaviour.lead_age_days,
        behaviour.behaviour_score,
        behaviour.points_30d,
        behaviour.points_7d,
        behaviour.engaged_days,
        behaviour.form_submits,
        behaviour.content_downloads,
        behaviour.event_attendances,
        behaviour.email_clicks,
        behaviour.web_visits,
        behaviour.unsubscribes_365d,
        behaviour.days_since_engagement,
        -- its account, as of the cutoff (zero without one)
        case when accounts.account_key is not null then 1 else 0 end as has_account,
        case when accounts.account_id is not null then 1 else 0 end as has_crm_account,
        coalesce(accounts.engagement_score, 0) as account_engagement_score,
        coalesce(accounts.points_30d, 0) as account_points_30d,
        coalesce(accounts.engaged_people_90d, 0) as account_engaged_people_90d,
        coalesce(accounts.known_leads, 0) as account_known_leads,
        coalesce(accounts.known_contacts, 0) as account_known_contacts,
        coalesce(accounts.open_opportunities, 0) as account_open_opportunities,
        coalesce(accounts.opportunities_365d, 0) as account_opportunities_365d,
        coalesce(accounts.days_since_opportunity, 3650) as account_days_since_opportunity,
        coalesce(accounts.is_customer, 0) as account_is_customer,
        coalesce(accounts.products_owned, 0) as account_products_owned,
        accounts.employees,
        calendar.cutoff_month,
        calendar.fiscal_year_end_share,
        case
            when behaviour.is_label_complete then coalesce(accounts.label_opportunity_90d, 0)
        end as label_opportunity_90d
    from behaviour
    inner join leads
        on behaviour.lead_id = leads.lead_id
    left join accounts
        on leads.account_key = accounts.account_key
        and behaviour.cutoff_date = accounts.cutoff_date
    left join calendar
        on behaviour.cutoff_date = calendar.cutoff_date
)

select * from final
