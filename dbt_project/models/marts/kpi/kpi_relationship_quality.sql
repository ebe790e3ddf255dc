{#- Relationship quality per account (primary accounts with any sales history), as of the
    data date: tenure, re-proposals after lost deals, multithreading, reactivation after
    dormancy, meeting acceptance, and a weighted composite (seed
    relationship_quality_components). -#}
with accounts as (
    select
        account_id,
        customer_since
    from {{ ref('dim_accounts') }}
    where account_id = primary_account_id
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

activities as (
    select * from {{ ref('fct_activities') }}
    where source = 'crm' and primary_account_id is not null
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
    where primary_account_id is not null
),

-- the first term started by the data date (a term signed to start later adds no tenure)
first_contract as (
    select
        contracts.primary_account_id as account_id,
        min(contracts.started_on) as customer_since
    from {{ ref('fct_contracts') }} as contracts
    cross join data_date
    where contracts.primary_account_id is not null
        and contracts.started_on <= data_date.data_date
    group by contracts.primary_account_id
),

losses as (
    select
        lost.primary_account_id as account_id,
        count(distinct lost.opportunity_id) as lost_deals,
        count(distinct case when later.opportunity_id is not null then lost.opportunity_id end) as lost_deals_reproposed
    from opportunities as lost
    left join opportunities as later
        on later.primary_account_id = lost.primary_account_id
        and later.created_on > lost.closed_on
        and later.created_on <= {{ add_days('lost.closed_on', 365) }}
    where lost.is_lost
    group by lost.primary_account_id
),

multithreading as (
    select
        activities.primary_account_id as account_id,
        count(distinct activities.contact_id) as multithreading_contacts
    from activities
    cross join data_date
    where activities.is_two_way
        and activities.occurred_on > {{ add_days('data_date.data_date', -90) }}
    group by activities.primary_account_id
),

two_way_days as (
    select distinct
        primary_account_id as account_id,
        occurred_on
    from activities
    where is_two_way
),

gaps as (
    select
        account_id,
        occurred_on,
        lag(occurred_on) over (partition by account_id order by occurred_on) as previous_on
    from two_way_days
),

reactivations as (
    select
        account_id,
        sum(
            case when {{ days_between('previous_on', 'occurred_on') }} >= {{ var('dormancy_days') }} then 1 else 0 end
        ) as reactivations
    from gaps
    group by account_id
),

meetings as (
    select
        activities.primary_account_id as account_id,
        count(*) as meetings,
        sum(case when activities.outcome = 'completed' then 1 else 0 end) as meetings_held
    from activities
    cross join data_date
    where activities.activity_type = 'meeting'
        and activities.occurred_on > {{ add_days('data_date.data_date', -365) }}
    group by activities.primary_account_id
),

sales_history as (
    select account_id from losses
    union
    select account_id from two_way_days
    union
    select account_id from meetings
    union
    select account_id from first_contract
    union
    select primary_account_id from opportunities
),

measured as (
    select
        accounts.account_id,
        data_date.data_date as as_of_date,
        coalesce({{ days_between('first_contract.customer_since', 'data_date.data_date') }}, 0) as tenure_days,
        coalesce(losses.lost_deals, 0) as lost_deals,
        coalesce(losses.lost_deals_reproposed, 0) as lost_deals_reproposed,
        {{ safe_divide('losses.lost_deals_reproposed', 'losses.lost_deals') }} as reproposal_rate,
        coalesce(multithreading.multithreading_contacts, 0) as multithreading_contacts,
        coalesce(reactivations.reactivations, 0) as reactivations,
        coalesce(meetings.meetings, 0) as meetings_365d,
        {{ safe_divide('meetings.meetings_held', 'meetings.meetings') }} as meeting_acceptance_rate
    from accounts
    inner join sales_history
        on accounts.account_id = sales_history.account_id
    cross join data_date
    left join first_contract
        on accounts.account_id = first_contract.account_id
    left join losses
        on accounts.account_id = losses.account_id
    left join multithreading
        on accounts.account_id = multithreading.account_id
    left join reactivations
        on accounts.account_id = reactivations.account_id
    left join meetings
        on accounts.account_id = meetings.account_id
),

-- each component scaled to 0-1 by its target; a component the account has no data
-- for (no lost deal, no meeting) is left out of its composite
{{ relationship_composite('measured', ['account_id']) }},

final as (
    select
        measured.account_id,
        measured.as_of_date,
        measured.tenure_days,
        measured.lost_deals,
        measured.lost_deals_reproposed,
        {{ round_to('measured.reproposal_rate', 4) }} as reproposal_rate,
        measured.multithreading_contacts,
        measured.reactivations,
        measured.meetings_365d,
        {{ round_to('measured.meeting_acceptance_rate', 4) }} as meeting_acceptance_rate,
        {{ round_to('100 * composite.composite', 2) }} as relationship_quality_score
    from measured
    left join composite
        on measured.account_id = composite.account_id
)

select * from final
