{#- One row per ABM account per ML cutoff (int_ml_account_cutoffs): the people who acted in
    the window before the cutoff (persons as resolved then, int_ml_person_records), leads
    known then, and the buying group of contacts with the roles they had then; null when
    none. A feature family of mart_account_features. -#}
{#- the windows (vars ml_feature_*_days) -#}
{%- set month_days = var('ml_feature_month_days') %}
{%- set quarter_days = var('ml_feature_quarter_days') %}
with cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
),

-- CRM accounts (duplicates included) of each ABM account
account_matches as (
    select
        account_id,
        account_key
    from {{ ref('dim_accounts') }}
    where account_key is not null
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
        and people.activity_date > {{ add_days('cutoffs.cutoff_date', -quarter_days) }}
    left join person_records
        on cutoffs.cutoff_date = person_records.cutoff_date
        and people.record_type = person_records.record_type
        and people.record_id = person_records.record_id
),

engaged as (
    select
        account_key,
        cutoff_date,
        count(distinct case when age_days < {{ month_days }} then person_key end) as engaged_people_30d,
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
            case when {{ days_between('leads.created_on', 'spine.cutoff_date') }} < {{ quarter_days }} then 1 else 0 end
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

final as (
    select
        spine.account_key,
        spine.cutoff_date,
        engaged.engaged_people_30d,
        engaged.engaged_people_90d,
        known_leads.known_leads,
        known_leads.new_leads_90d,
        contact_engagement.engaged_contacts_90d,
        contact_engagement.multithreading_contacts,
        buying_group.known_contacts,
        buying_group.known_required_roles,
        buying_group.engaged_required_roles
    from spine
    left join engaged
        on spine.account_key = engaged.account_key and spine.cutoff_date = engaged.cutoff_date
    left join known_leads
        on spine.account_key = known_leads.account_key and spine.cutoff_date = known_leads.cutoff_date
    left join contact_engagement
        on spine.account_key = contact_engagement.account_key and spine.cutoff_date = contact_engagement.cutoff_date
    left join buying_group
        on spine.account_key = buying_group.account_key and spine.cutoff_date = buying_group.cutoff_date
)

select * from final
