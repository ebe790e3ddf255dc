{#- Point-in-time features of every ABM account (every company, customer or prospect) at
    every ML cutoff since it was first seen, with labels looking forward (a prospect with
    no deal in the window has label 0). Every feature reads only what was known by the end of the
    cutoff day (local time): firmographics and ABM tier as of then (effective-dated),
    behaviour dated on or before it, contacts and their roles as of then, deals in the
    stage they had then, contracts started by then. Labels count what happened in the
    var ml_label_window_days after the cutoff and are null until that window has passed
    the data date. models_ml trains on the labelled cutoffs and scores the latest. -#}
with cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
),

product_states as (
    select * from {{ ref('mart_account_product_features') }}
),

-- CRM accounts (duplicates included) of each ABM account
account_matches as (
    select
        account_id,
        account_key
    from {{ ref('dim_accounts') }}
    where account_key is not null
),

account_history as (
    select * from {{ ref('dim_accounts_history') }}
),

company_history as (
    select * from {{ ref('int_company_history') }}
),

-- listing and group membership as the company database had them (int_company_history
-- carries the firmographics that move monthly, not these)
company_status as (
    select
        corporate_number,
        is_listed,
        parent_corporate_number,
        {{ versions_to_intervals('corporate_number', 'updated_at') }}
    from {{ ref('stg_firmo__company_versions') }}
),

signals as (
    select * from {{ ref('int_ml_account_signals_daily') }}
),

engagement as (
    select
        engagement.account_key,
        engagement.activity_date,
        engagement.points,
        weights.half_life_days
    from {{ ref('fct_account_engagement_daily') }} as engagement
    inner join {{ ref('activity_weights') }} as weights
        on engagement.source = weights.source
        and engagement.activity_type = weights.activity_type
    where weights.points <> 0
),

people as (
    select * from {{ ref('int_ml_people_daily') }}
),

person_records as (
    select * from {{ ref('int_ml_person_records') }}
),

leads as (
    select
        account_key,
        {{ local_date('created_at') }} as created_on
    from {{ ref('dim_leads') }}
    where account_key is not null
),

contacts_history as (
    select * from {{ ref('dim_contacts_history') }}
),

required_roles as (
    select buying_role from {{ ref('buying_group_roles') }}
    where is_required
),

-- deals and contracts stay on CRM accounts: reached through the ABM account of their
-- primary account
abm_accounts as (
    select
        account_key,
        crm_account_id
    from {{ ref('dim_abm_accounts') }}
    where crm_account_id is not null
),

opportunities as (
    select
        abm_accounts.account_key,
        deals.*
    from {{ ref('fct_opportunities') }} as deals
    inner join abm_accounts
        on deals.primary_account_id = abm_accounts.crm_account_id
),

stage_history as (
    select * from {{ ref('fct_opportunity_stage_history') }}
),

products as (
    select
        product_id,
        list_price_jpy
    from {{ ref('stg_crm__products') }}
),

contracts as (
    select
        abm_accounts.account_key,
        terms.*
    from {{ ref('fct_contracts') }} as terms
    inner join abm_accounts
        on terms.primary_account_id = abm_accounts.crm_account_id
),

firmographics as (
    select
        spine.account_key,
        spine.cutoff_date,
        max(company_history.industry_division) as industry_division,
        max(company_history.employees) as employees,
        max(company_history.revenue_jpy) as revenue_jpy,
        max(company_history.revenue_growth_rate) as revenue_growth_rate
    from spine
    inner join company_history
        on spine.corporate_number = company_history.corporate_number
        and {{ valid_at('company_history', local_day_end('spine.cutoff_date')) }}
    group by spine.account_key, spine.cutoff_date
),

statuses as (
    select
        spine.account_key,
        spine.cutoff_date,
        max(case when company_status.is_listed then 1 else 0 end) as is_listed,
        max(case when company_status.parent_corporate_number is not null then 1 else 0 end) as has_group_parent
    from spine
    inner join company_status
        on spine.corporate_number = company_status.corporate_number
        and {{ valid_at('company_status', local_day_end('spine.cutoff_date')) }}
    group by spine.account_key, spine.cutoff_date
),

tiers as (
    select
        spine.account_key,
        spine.cutoff_date,
        max(account_history.abm_tier) as abm_tier
    from spine
    inner join account_history
        on spine.account_id = account_history.account_id
        and {{ valid_at('account_history', local_day_end('spine.cutoff_date')) }}
    group by spine.account_key, spine.cutoff_date
),

-- behaviour: each day's signals joined to the cutoffs whose year before holds it
aged_signals as (
    select
        cutoffs.cutoff_date,
        signals.*,
        {{ days_between('signals.activity_date', 'cutoffs.cutoff_date') }} as age_days
    from cutoffs
    inner join signals
        on signals.activity_date <= cutoffs.cutoff_date
        and signals.activity_date > {{ add_days('cutoffs.cutoff_date', -365) }}
),

behaviour as (
    select
        account_key,
        cutoff_date,
        {%- for signal in ['web_visits', 'pricing_visits', 'product_page_visits', 'case_study_visits',
                           'quote_requests', 'contact_forms', 'content_downloads', 'email_opens',
                           'email_clicks', 'event_registrations', 'seminar_attendance',
                           'webinar_attendance', 'card_scans', 'sales_calls', 'proposals'] %}
        sum(case when age_days < 14 then {{ signal }} else 0 end) as {{ signal }}_14d,
        sum(case when age_days < 30 then {{ signal }} else 0 end) as {{ signal }}_30d,
        sum(case when age_days >= 30 and age_days < 90 then {{ signal }} else 0 end) as {{ signal }}_prev_60d,
        {%- endfor %}
        sum(case when age_days < 7 then ma_touches else 0 end) as ma_touches_7d,
        sum(case when age_days < 14 then ma_touches else 0 end) as ma_touches_14d,
        sum(case when age_days < 30 then ma_touches else 0 end) as ma_touches_30d,
        sum(ma_touches) as ma_touches_365d,
        sum(case when age_days < 90 then unsubscribes else 0 end) as unsubscribes_90d,
        sum(case when age_days < 90 then meetings_held else 0 end) as meetings_held_90d,
        sum(meetings_held) as meetings_held_365d,
        sum(meetings_planned) as meetings_planned_365d,
        sum(case when age_days < 90 then two_way_touches else 0 end) as two_way_touches_90d,
        min(case when quote_requests > 0 then age_days end) as days_since_quote_request
    from aged_signals
    group by account_key, cutoff_date
),

aged_points as (
    select
        cutoffs.cutoff_date,
        engagement.account_key,
        engagement.points,
        engagement.half_life_days,
        {{ days_between('engagement.activity_date', 'cutoffs.cutoff_date') }} as age_days
    from cutoffs
    inner join engagement
        on engagement.activity_date <= cutoffs.cutoff_date
        and engagement.activity_date > {{ add_days('cutoffs.cutoff_date', -var('decay_window_days')) }}
),

points as (
    select
        account_key,
        cutoff_date,
        sum(case when age_days < 7 then points else 0 end) as points_7d,
        sum(case when age_days < 30 then points else 0 end) as points_30d,
        sum(case when age_days >= 30 and age_days < 90 then points else 0 end) as points_prev_60d,
        sum({{ decayed_points('points', 'age_days', 'half_life_days') }}) as decayed_points,
        min(case when points > 0 then age_days end) as days_since_engagement
    from aged_points
    group by account_key, cutoff_date
),

-- a record the warehouse did not know at the cutoff (an activity naming a lead or contact
-- delivered later) counts as a person of its own
aged_people as (
    select
        cutoffs.cutoff_date,
        people.*,
        coalesce(
            person_records.person_key,
            {{ dbt.concat(["people.record_type", "':'", "people.record_id"]) }}
        ) as person_key,
        {{ days_between('people.activity_date', 'cutoffs.cutoff_date') }} as age_days
    from cutoffs
    inner join people
        on people.activity_date <= cutoffs.cutoff_date
        and people.activity_date > {{ add_days('cutoffs.cutoff_date', -90) }}
    left join person_records
        on cutoffs.cutoff_date = person_records.cutoff_date
        and people.record_type = person_records.record_type
        and people.record_id = person_records.record_id
),

engaged as (
    select
        account_key,
        cutoff_date,
        count(distinct case when age_days < 30 then person_key end) as engaged_people_30d,
        count(distinct person_key) as engaged_people_90d
    from aged_people
    group by account_key, cutoff_date
),

known_leads as (
    select
        spine.account_key,
        spine.cutoff_date,
        count(*) as known_leads,
        sum(
            case when {{ days_between('leads.created_on', 'spine.cutoff_date') }} < 90 then 1 else 0 end
        ) as new_leads_90d
    from spine
    inner join leads
        on spine.account_key = leads.account_key
        and leads.created_on <= spine.cutoff_date
    group by spine.account_key, spine.cutoff_date
),

-- contacts known at the cutoff, with the role they had then
contacts_at_cutoff as (
    select
        spine.account_key,
        spine.cutoff_date,
        contacts_history.contact_id,
        contacts_history.buying_role
    from spine
    inner join account_matches
        on spine.account_key = account_matches.account_key
    inner join contacts_history
        on account_matches.account_id = contacts_history.account_id
        and {{ valid_at('contacts_history', local_day_end('spine.cutoff_date')) }}
),

-- contacts who acted, counted only when the CRM knew them at the cutoff (an MA lead
-- matched to a contact created later must not count before it)
engaged_contacts as (
    select
        aged_people.account_key,
        aged_people.cutoff_date,
        aged_people.contact_id,
        {{ dbt.bool_or('aged_people.is_two_way') }} as is_two_way
    from aged_people
    inner join contacts_at_cutoff
        on aged_people.account_key = contacts_at_cutoff.account_key
        and aged_people.cutoff_date = contacts_at_cutoff.cutoff_date
        and aged_people.contact_id = contacts_at_cutoff.contact_id
    group by aged_people.account_key, aged_people.cutoff_date, aged_people.contact_id
),

contact_engagement as (
    select
        account_key,
        cutoff_date,
        count(*) as engaged_contacts_90d,
        sum(case when is_two_way then 1 else 0 end) as multithreading_contacts
    from engaged_contacts
    group by account_key, cutoff_date
),

buying_group as (
    select
        contacts_at_cutoff.account_key,
        contacts_at_cutoff.cutoff_date,
        count(distinct contacts_at_cutoff.contact_id) as known_contacts,
        count(
            distinct case when required_roles.buying_role is not null then contacts_at_cutoff.buying_role end
        ) as known_required_roles,
        count(
            distinct case
                when required_roles.buying_role is not null
                    and engaged_contacts.contact_id is not null
                    then contacts_at_cutoff.buying_role
            end
        ) as engaged_required_roles
    from contacts_at_cutoff
    left join required_roles
        on contacts_at_cutoff.buying_role = required_roles.buying_role
    left join engaged_contacts
        on contacts_at_cutoff.account_key = engaged_contacts.account_key
        and contacts_at_cutoff.cutoff_date = engaged_contacts.cutoff_date
        and contacts_at_cutoff.contact_id = engaged_contacts.contact_id
    group by contacts_at_cutoff.account_key, contacts_at_cutoff.cutoff_date
),

-- deals created by the cutoff, in the stage and amount they had then
deals_at_cutoff as (
    select
        spine.account_key,
        spine.cutoff_date,
        opportunities.opportunity_id,
        opportunities.created_on,
        case when opportunities.closed_on <= spine.cutoff_date then opportunities.closed_on end as closed_on,
        stage_history.stage,
        stage_history.stage_order,
        stage_history.amount_jpy,
        products.list_price_jpy
    from spine
    inner join opportunities
        on spine.account_key = opportunities.account_key
        and opportunities.created_on <= spine.cutoff_date
    left join stage_history
        on opportunities.opportunity_id = stage_history.opportunity_id
        and {{ valid_at('stage_history', local_day_end('spine.cutoff_date')) }}
    left join products
        on opportunities.product_id = products.product_id
),

deal_history as (
    select
        account_key,
        cutoff_date,
        count(*) as opportunities_total,
        sum(case when {{ days_between('created_on', 'cutoff_date') }} < 90 then 1 else 0 end) as opportunities_90d,
        sum(case when {{ days_between('created_on', 'cutoff_date') }} < 365 then 1 else 0 end) as opportunities_365d,
        sum(case when stage not in ('closed_won', 'closed_lost') then 1 else 0 end) as open_opportunities,
        max(case when stage not in ('closed_won', 'closed_lost') then stage_order end) as open_max_stage,
        sum(case when stage not in ('closed_won', 'closed_lost') then amount_jpy else 0 end) as open_pipeline_jpy,
        sum(case when stage = 'closed_won' then 1 else 0 end) as won_deals,
        sum(
            case when stage = 'closed_won' and {{ days_between('closed_on', 'cutoff_date') }} < 365 then 1 else 0 end
        ) as won_deals_365d,
        sum(case when stage = 'closed_lost' then 1 else 0 end) as lost_deals,
        sum(
            case when stage = 'closed_lost' and {{ days_between('closed_on', 'cutoff_date') }} < 365 then 1 else 0 end
        ) as lost_deals_365d,
        min({{ days_between('created_on', 'cutoff_date') }}) as days_since_opportunity,
        min(case when stage = 'closed_won' then {{ days_between('closed_on', 'cutoff_date') }} end) as days_since_win,
        min(case when stage = 'closed_lost' then {{ days_between('closed_on', 'cutoff_date') }} end) as days_since_loss,
        -- exact decimal sums: a float sum depends on the order threads add rows in
        avg(cast({{ safe_divide('amount_jpy', 'list_price_jpy') }} as decimal(18, 6))) as deal_size_index
    from deals_at_cutoff
    group by account_key, cutoff_date
),

reproposals as (
    select
        lost.account_key,
        lost.cutoff_date,
        count(distinct case when later.opportunity_id is not null then lost.opportunity_id end) as lost_deals_reproposed
    from deals_at_cutoff as lost
    left join deals_at_cutoff as later
        on later.account_key = lost.account_key
        and later.cutoff_date = lost.cutoff_date
        and later.created_on > lost.closed_on
        and later.created_on <= {{ add_days('lost.closed_on', 365) }}
    where lost.stage = 'closed_lost'
    group by lost.account_key, lost.cutoff_date
),

-- contracts started by the cutoff (a term's dates are known when it is signed)
contracts_at_cutoff as (
    select
        spine.account_key,
        spine.cutoff_date,
        min(contracts.started_on) as customer_since,
        count(
            distinct case when contracts.ended_on >= spine.cutoff_date then contracts.product_id end
        ) as products_owned,
        sum(case when contracts.ended_on >= spine.cutoff_date then contracts.annual_amount_jpy else 0 end) as arr_jpy,
        max(
            case
                when contracts.ended_on >= spine.cutoff_date and contracts.product_family = 'platform' then 1 else 0
            end
        ) as owns_platform,
        count(
            distinct case
                when contracts.ended_on >= spine.cutoff_date and contracts.product_family = 'add_on'
                    then contracts.product_id
            end
        ) as add_ons_owned,
        max(
            case
                when contracts.ended_on >= spine.cutoff_date and contracts.product_family = 'services' then 1 else 0
            end
        ) as owns_services,
        min(
            case
                when contracts.ended_on >= spine.cutoff_date
                    then {{ days_between('spine.cutoff_date', 'contracts.ended_on') }}
            end
        ) as days_to_renewal
    from spine
    inner join contracts
        on spine.account_key = contracts.account_key
        and contracts.started_on <= spine.cutoff_date
    group by spine.account_key, spine.cutoff_date
),

-- what could still be sold: products neither owned (nor included in one owned) nor
-- under an open deal
eligibility as (
    select
        account_id,
        cutoff_date,
        sum(
            case when is_owned = 0 and is_included = 0 and open_opportunities = 0 then 1 else 0 end
        ) as eligible_products,
        sum(
            case
                when is_owned = 0 and is_included = 0 and open_opportunities = 0 and product_family = 'add_on'
                    then 1
                else 0
            end
        ) as eligible_add_ons,
        sum(case when days_since_lost < 90 then 1 else 0 end) as products_lost_90d,
        sum(case when was_owned = 1 then 1 else 0 end) as products_churned
    from product_states
    group by account_id, cutoff_date
),

two_way_days as (
    select distinct
        account_key,
        activity_date
    from signals
    where two_way_touches > 0
),

dormancy_gaps as (
    select
        account_key,
        activity_date,
        {{ days_between(
            'lag(activity_date) over (partition by account_key order by activity_date)', 'activity_date'
        ) }} as gap_days
    from two_way_days
),

reactivations as (
    select
        cutoffs.cutoff_date,
        dormancy_gaps.account_key,
        count(*) as reactivations
    from cutoffs
    inner join dormancy_gaps
        on dormancy_gaps.activity_date <= cutoffs.cutoff_date
        and dormancy_gaps.gap_days >= {{ var('dormancy_days') }}
    group by cutoffs.cutoff_date, dormancy_gaps.account_key
),

-- the calendar ahead: how much of the label window falls in the fiscal year-end (Jan-Mar)
window_days as (
    {{ date_series('(select min(cutoff_date) from cutoffs)', '(select max(label_window_end) from cutoffs)') }}
),

calendar as (
    select
        cutoffs.cutoff_date,
        avg(case when extract(month from window_days.date_day) <= 3 then 1.0 else 0.0 end) as fiscal_year_end_share
    from cutoffs
    inner join window_days
        on window_days.date_day > cutoffs.cutoff_date
        and window_days.date_day <= cutoffs.label_window_end
    group by cutoffs.cutoff_date
),

opportunity_labels as (
    select
        spine.account_key,
        spine.cutoff_date,
        count(distinct opportunities.opportunity_id) as opportunities_next
    from spine
    inner join opportunities
        on spine.account_key = opportunities.account_key
        and opportunities.created_on > spine.cutoff_date
        and opportunities.created_on <= spine.label_window_end
    where spine.is_label_complete
    group by spine.account_key, spine.cutoff_date
),

win_labels as (
    select
        spine.account_key,
        spine.cutoff_date,
        count(distinct opportunities.opportunity_id) as wins_next
    from spine
    inner join opportunities
        on spine.account_key = opportunities.account_key
        and opportunities.is_won
        and opportunities.closed_on > spine.cutoff_date
        and opportunities.closed_on <= spine.label_window_end
    where spine.is_label_complete
    group by spine.account_key, spine.cutoff_date
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
        coalesce(statuses.is_listed, 0) as is_listed,
        coalesce(statuses.has_group_parent, 0) as has_group_parent,
        coalesce(tiers.abm_tier, 'untiered') as abm_tier,
        {{ days_between(local_date('spine.first_seen_at'), 'spine.cutoff_date') }} as account_age_days,
        -- behaviour points (activity_weights) and the rule-based engagement score
        coalesce(points.points_7d, 0) as points_7d,
        coalesce(points.points_30d, 0) as points_30d,
        coalesce(points.points_prev_60d, 0) as points_prev_60d,
        {{ round_to('coalesce(points.decayed_points, 0)', 4) }} as decayed_points,
        {{ engagement_score('coalesce(points.decayed_points, 0)') }} as engagement_score,
        coalesce(points.days_since_engagement, {{ var('decay_window_days') }}) as days_since_engagement,
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
        coalesce(behaviour.days_since_quote_request, 365) as days_since_quote_request,
        -- people and the buying group
        coalesce(engaged.engaged_people_30d, 0) as engaged_people_30d,
        coalesce(engaged.engaged_people_90d, 0) as engaged_people_90d,
        coalesce(contact_engagement.engaged_contacts_90d, 0) as engaged_contacts_90d,
        coalesce(known_leads.known_leads, 0) as known_leads,
        coalesce(known_leads.new_leads_90d, 0) as new_leads_90d,
        coalesce(buying_group.known_contacts, 0) as known_contacts,
        coalesce(buying_group.known_required_roles, 0) as known_required_roles,
        coalesce(buying_group.engaged_required_roles, 0) as engaged_required_roles,
        {{ round_to(safe_divide(
            'coalesce(buying_group.engaged_required_roles, 0)', '(select count(*) from required_roles)'
        ), 4) }} as buying_group_coverage,
        -- deals
        coalesce(deal_history.opportunities_total, 0) as opportunities_total,
        coalesce(deal_history.opportunities_90d, 0) as opportunities_90d,
        coalesce(deal_history.opportunities_365d, 0) as opportunities_365d,
        coalesce(deal_history.open_opportunities, 0) as open_opportunities,
        coalesce(deal_history.open_max_stage, 0) as open_max_stage,
        coalesce(deal_history.open_pipeline_jpy, 0) as open_pipeline_jpy,
        coalesce(deal_history.won_deals, 0) as won_deals,
        coalesce(deal_history.won_deals_365d, 0) as won_deals_365d,
        coalesce(deal_history.lost_deals, 0) as lost_deals,
        coalesce(deal_history.lost_deals_365d, 0) as lost_deals_365d,
        coalesce(deal_history.days_since_opportunity, 3650) as days_since_opportunity,
        coalesce(deal_history.days_since_win, 3650) as days_since_win,
        coalesce(deal_history.days_since_loss, 3650) as days_since_loss,
        {{ round_to('deal_history.deal_size_index', 4) }} as deal_size_index,
        -- products owned
        case when coalesce(contracts_at_cutoff.products_owned, 0) > 0 then 1 else 0 end as is_customer,
        coalesce(contracts_at_cutoff.arr_jpy, 0) as arr_jpy,
        coalesce(contracts_at_cutoff.products_owned, 0) as products_owned,
        coalesce(contracts_at_cutoff.owns_platform, 0) as owns_platform,
        coalesce(contracts_at_cutoff.add_ons_owned, 0) as add_ons_owned,
        coalesce(contracts_at_cutoff.owns_services, 0) as owns_services,
        coalesce(contracts_at_cutoff.days_to_renewal, 3650) as days_to_renewal,
        coalesce(eligibility.eligible_products, 0) as eligible_products,
        coalesce(eligibility.eligible_add_ons, 0) as eligible_add_ons,
        coalesce(eligibility.products_lost_90d, 0) as products_lost_90d,
        coalesce(eligibility.products_churned, 0) as products_churned,
        -- relationship quality (the components of kpi_relationship_quality, as of the cutoff)
        coalesce({{ days_between('contracts_at_cutoff.customer_since', 'spine.cutoff_date') }}, 0) as tenure_days,
        coalesce(reproposals.lost_deals_reproposed, 0) as lost_deals_reproposed,
        {{ round_to(safe_divide(
            'reproposals.lost_deals_reproposed', 'deal_history.lost_deals'
        ), 4) }} as reproposal_rate,
        coalesce(contact_engagement.multithreading_contacts, 0) as multithreading_contacts,
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
    left join statuses
        on spine.account_key = statuses.account_key and spine.cutoff_date = statuses.cutoff_date
    left join tiers
        on spine.account_key = tiers.account_key and spine.cutoff_date = tiers.cutoff_date
    left join behaviour
        on spine.account_key = behaviour.account_key and spine.cutoff_date = behaviour.cutoff_date
    left join points
        on spine.account_key = points.account_key and spine.cutoff_date = points.cutoff_date
    left join engaged
        on spine.account_key = engaged.account_key and spine.cutoff_date = engaged.cutoff_date
    left join known_leads
        on spine.account_key = known_leads.account_key and spine.cutoff_date = known_leads.cutoff_date
    left join contact_engagement
        on spine.account_key = contact_engagement.account_key and spine.cutoff_date = contact_engagement.cutoff_date
    left join buying_group
        on spine.account_key = buying_group.account_key and spine.cutoff_date = buying_group.cutoff_date
    left join deal_history
        on spine.account_key = deal_history.account_key and spine.cutoff_date = deal_history.cutoff_date
    left join reproposals
        on spine.account_key = reproposals.account_key and spine.cutoff_date = reproposals.cutoff_date
    left join contracts_at_cutoff
        on spine.account_key = contracts_at_cutoff.account_key and spine.cutoff_date = contracts_at_cutoff.cutoff_date
    left join eligibility
        on spine.account_id = eligibility.account_id and spine.cutoff_date = eligibility.cutoff_date
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
                then case when opportunity_labels.opportunities_next > 0 then 1 else 0 end
        end as label_opportunity_90d,
        case
            when joined.is_label_complete
                then case when win_labels.wins_next > 0 then 1 else 0 end
        end as label_won_90d
    from joined
    left join composite
        on joined.account_key = composite.account_key and joined.cutoff_date = composite.cutoff_date
    left join opportunity_labels
        on joined.account_key = opportunity_labels.account_key and joined.cutoff_date = opportunity_labels.cutoff_date
    left join win_labels
        on joined.account_key = win_labels.account_key and joined.cutoff_date = win_labels.cutoff_date
)

select * from final
