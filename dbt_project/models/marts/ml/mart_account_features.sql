{#- Point-in-time features of every ABM account (every company, customer or prospect) at
    every ML cutoff since it was first seen, with labels looking forward (a prospect with
    no deal in the window has label 0). Every feature reads only what was known by the end of the
    cutoff day (local time): firmographics and ABM tier as of then (effective-dated),
    behaviour dated on or before it, contacts and their roles as of then, deals in the
    stage they had then, contracts started by then. Labels count what happened in the
    var ml_label_window_days after the cutoff and are null until that window has passed
    the data date. models_ml trains on the labelled cutoffs and scores the latest. Each
    family of features is an intermediate of its own (models/intermediate/ml_features),
    joined here; its windows are the vars ml_feature_*_days. -#}
with spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
),

-- the feature families (models/intermediate/ml_features), each as of the cutoff
firmographics as (
    select * from {{ ref('int_ml_features__firmographics') }}
),

behaviour as (
    select * from {{ ref('int_ml_features__behaviour') }}
),

engagement as (
    select * from {{ ref('int_ml_features__engagement') }}
),

people as (
    select * from {{ ref('int_ml_features__people') }}
),

deals as (
    select * from {{ ref('int_ml_features__deals') }}
),

products as (
    select * from {{ ref('int_ml_features__products') }}
),

reactivations as (
    select * from {{ ref('int_ml_features__reactivations') }}
),

calendar as (
    select * from {{ ref('int_ml_features__calendar') }}
),

labels as (
    select * from {{ ref('int_ml_features__labels') }}
),

required_roles as (
    select buying_role from {{ ref('buying_group_roles') }}
    where is_required
),

joined as (
    select
        spine.account_key,
        -- its primary CRM account, when that existed at the cutoff (null for a prospect)
        spine.account_id,
        spine.key_source,
        spine.cutoff_date,
        spine.is_scoring_date,
        spine.is_label_complete,
        -- firmographics as of the cutoff
        coalesce(firmographics.industry_division, spine.account_industry_division, '?') as industry_division,
        firmographics.employees,
        firmographics.revenue_jpy,
        firmographics.revenue_growth_rate,
        coalesce(firmographics.is_listed, 0) as is_listed,
        coalesce(firmographics.has_group_parent, 0) as has_group_parent,
        coalesce(firmographics.abm_tier, 'untiered') as abm_tier,
        {{ days_between(local_date('spine.first_seen_at'), 'spine.cutoff_date') }} as account_age_days,
        -- behaviour points (activity_weights) and the rule-based engagement score
        coalesce(engagement.points_7d, 0) as points_7d,
        coalesce(engagement.points_30d, 0) as points_30d,
        coalesce(engagement.points_prev_60d, 0) as points_prev_60d,
        {{ round_to('coalesce(engagement.decayed_points, 0)', 4) }} as decayed_points,
        {{ engagement_score('coalesce(engagement.decayed_points, 0)') }} as engagement_score,
        coalesce(engagement.days_since_engagement, {{ var('decay_window_days') }}) as days_since_engagement,
        -- behaviour by kind: the last 30 days and the 60 before them
        {%- for signal in ['web_visits', 'pricing_visits', 'product_page_visits', 'case_study_visits',
                           'quote_requests', 'contact_forms', 'content_downloads', 'email_opens',
                           'email_clicks', 'event_registrations', 'seminar_attendance',
                           'webinar_attendance', 'card_scans', 'sales_calls', 'proposals'] %}
        coalesce(behaviour.{{ signal }}_14d, 0) as {{ signal }}_14d,
        coalesce(behaviour.{{ signal }}_30d, 0) as {{ signal }}_30d,
        coalesce(behaviour.{{ signal }}_prev_60d, 0) as {{ signal }}_prev_60d,
        {%- endfor %}
        coalesce(behaviour.ma_touches_7d, 0) as ma_touches_7d,
        coalesce(behaviour.ma_touches_14d, 0) as ma_touches_14d,
        coalesce(behaviour.ma_touches_30d, 0) as ma_touches_30d,
        coalesce(behaviour.ma_touches_365d, 0) as ma_touches_365d,
        coalesce(behaviour.unsubscribes_90d, 0) as unsubscribes_90d,
        coalesce(behaviour.meetings_held_90d, 0) as meetings_held_90d,
        coalesce(behaviour.two_way_touches_90d, 0) as two_way_touches_90d,
        coalesce(behaviour.days_since_quote_request, {{ var('ml_feature_year_days') }}) as days_since_quote_request,
        -- people and the buying group
        coalesce(people.engaged_people_30d, 0) as engaged_people_30d,
        coalesce(people.engaged_people_90d, 0) as engaged_people_90d,
        coalesce(people.engaged_contacts_90d, 0) as engaged_contacts_90d,
        coalesce(people.known_leads, 0) as known_leads,
        coalesce(people.new_leads_90d, 0) as new_leads_90d,
        coalesce(people.known_contacts, 0) as known_contacts,
        coalesce(people.known_required_roles, 0) as known_required_roles,
        coalesce(people.engaged_required_roles, 0) as engaged_required_roles,
        {{ round_to(safe_divide(
            'coalesce(people.engaged_required_roles, 0)', '(select count(*) from required_roles)'
        ), 4) }} as buying_group_coverage,
        -- deals
        coalesce(deals.opportunities_total, 0) as opportunities_total,
        coalesce(deals.opportunities_90d, 0) as opportunities_90d,
        coalesce(deals.opportunities_365d, 0) as opportunities_365d,
        coalesce(deals.open_opportunities, 0) as open_opportunities,
        coalesce(deals.open_max_stage, 0) as open_max_stage,
        coalesce(deals.open_pipeline_jpy, 0) as open_pipeline_jpy,
        coalesce(deals.won_deals, 0) as won_deals,
        coalesce(deals.won_deals_365d, 0) as won_deals_365d,
        coalesce(deals.lost_deals, 0) as lost_deals,
        coalesce(deals.lost_deals_365d, 0) as lost_deals_365d,
        coalesce(deals.days_since_opportunity, 3650) as days_since_opportunity,
        coalesce(deals.days_since_win, 3650) as days_since_win,
        coalesce(deals.days_since_loss, 3650) as days_since_loss,
        {{ round_to('deals.deal_size_index', 4) }} as deal_size_index,
        -- products owned
        case when coalesce(products.products_owned, 0) > 0 then 1 else 0 end as is_customer,
        coalesce(products.arr_jpy, 0) as arr_jpy,
        coalesce(products.products_owned, 0) as products_owned,
        coalesce(products.owns_platform, 0) as owns_platform,
        coalesce(products.add_ons_owned, 0) as add_ons_owned,
        coalesce(products.owns_services, 0) as owns_services,
        coalesce(products.days_to_renewal, 3650) as days_to_renewal,
        coalesce(products.eligible_products, 0) as eligible_products,
        coalesce(products.eligible_add_ons, 0) as eligible_add_ons,
        coalesce(products.products_lost_90d, 0) as products_lost_90d,
        coalesce(products.products_churned, 0) as products_churned,
        -- relationship quality (the components of kpi_relationship_quality, as of the cutoff)
        coalesce({{ days_between('products.customer_since', 'spine.cutoff_date') }}, 0) as tenure_days,
        coalesce(deals.lost_deals_reproposed, 0) as lost_deals_reproposed,
        {{ round_to(safe_divide(
            'deals.lost_deals_reproposed', 'deals.lost_deals'
        ), 4) }} as reproposal_rate,
        coalesce(people.multithreading_contacts, 0) as multithreading_contacts,
        coalesce(reactivations.reactivations, 0) as reactivations,
        coalesce(behaviour.meetings_planned_365d, 0) as meetings_365d,
        {{ round_to(safe_divide(
            'behaviour.meetings_held_365d', 'behaviour.meetings_planned_365d'
        ), 4) }} as meeting_acceptance_rate,
        -- the calendar ahead
        cast(extract(month from spine.cutoff_date) as integer) as cutoff_month,
        {{ round_to('calendar.fiscal_year_end_share', 4) }} as fiscal_year_end_share
    from spine
    left join firmographics
        on spine.account_key = firmographics.account_key and spine.cutoff_date = firmographics.cutoff_date
    left join behaviour
        on spine.account_key = behaviour.account_key and spine.cutoff_date = behaviour.cutoff_date
    left join engagement
        on spine.account_key = engagement.account_key and spine.cutoff_date = engagement.cutoff_date
    left join people
        on spine.account_key = people.account_key and spine.cutoff_date = people.cutoff_date
    left join deals
        on spine.account_key = deals.account_key and spine.cutoff_date = deals.cutoff_date
    left join products
        on spine.account_key = products.account_key and spine.cutoff_date = products.cutoff_date
    left join reactivations
        on spine.account_key = reactivations.account_key and spine.cutoff_date = reactivations.cutoff_date
    left join calendar
        on spine.cutoff_date = calendar.cutoff_date
),

-- the relationship-quality composite, weighted as the seed relationship_quality_components says
{{ relationship_composite('joined', ['account_key', 'cutoff_date']) }},

final as (
    select
        {{ dbt.concat([
            "joined.account_key", "'@'", "cast(joined.cutoff_date as " ~ dbt.type_string() ~ ")"
        ]) }} as account_cutoff_key,
        joined.*,
        {{ round_to('100 * coalesce(composite.composite, 0)', 2) }} as relationship_quality_score,
        -- labels (null until the window has passed the data date)
        case
            when joined.is_label_complete
                then case when labels.opportunities_next > 0 then 1 else 0 end
        end as label_opportunity_90d,
        case
            when joined.is_label_complete
                then case when labels.wins_next > 0 then 1 else 0 end
        end as label_won_90d
    from joined
    left join composite
        on joined.account_key = composite.account_key and joined.cutoff_date = composite.cutoff_date
    left join labels
        on joined.account_key = labels.account_key and joined.cutoff_date = labels.cutoff_date
)

select * from final
