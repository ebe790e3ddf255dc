{#- Leads and contacts resolved to persons (名寄せ of people): one row per MA lead and per
    CRM contact, with the person it is. Records are one person when linked, directly or
    through other records, by
    - the same normalised e-mail (staging's lower(trim(...)));
    - a lead and the CRM contact it was matched to (int_lead_contact_matches);
    - the same last and first name at the same ABM account, unless that name has two
      different mailboxes at one e-mail domain there: two namesakes in one company (a
      second mailbox is how a company tells them apart).
    A person's key is its CRM contact (the lowest contact_id when it has several), else
    lead:<lowest lead_id>: the key people were counted by before persons existed. -#}
with recursive leads as (
    select
        lead_id,
        email,
        last_name,
        first_name
    from {{ ref('stg_ma__leads') }}
),

lead_accounts as (
    select
        lead_id,
        account_key
    from {{ ref('int_lead_account_matches') }}
),

contact_matches as (
    select
        lead_id,
        contact_id
    from {{ ref('int_lead_contact_matches') }}
    where contact_id is not null
),

contacts as (
    select
        contact_id,
        account_id,
        email,
        last_name,
        first_name
    from {{ ref('stg_crm__contacts') }}
),

account_matches as (
    select
        account_id,
        account_key
    from {{ ref('int_account_company_matches') }}
),

records as (
    select
        'ma_lead' as record_type,
        leads.lead_id as record_id,
        {{ dbt.concat(["'lead:'", "leads.lead_id"]) }} as record_key,
        leads.lead_id,
        cast(null as {{ dbt.type_string() }}) as contact_id,
        leads.email,
        leads.last_name,
        leads.first_name,
        lead_accounts.account_key
    from leads
    left join lead_accounts
        on leads.lead_id = lead_accounts.lead_id

    union all

    select
        'crm_contact' as record_type,
        contacts.contact_id as record_id,
        {{ dbt.concat(["'contact:'", "contacts.contact_id"]) }} as record_key,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        contacts.contact_id,
        contacts.email,
        contacts.last_name,
        contacts.first_name,
        account_matches.account_key
    from contacts
    left join account_matches
        on contacts.account_id = account_matches.account_id
),

named_records as (
    select * from records
    where last_name is not null
        and first_name is not null
        and account_key is not null
),

-- a name at an account with two mailboxes at one domain belongs to two people
namesakes as (
    select
        last_name,
        first_name,
        account_key
    from named_records
    where email is not null
    group by last_name, first_name, account_key, {{ dbt.split_part('email', "'@'", 2) }}
    having count(distinct email) > 1
),

-- each record with the things it shares with others: records sharing a link are one person
links as (
    select
        record_key,
        {{ dbt.concat(["'email:'", "email"]) }} as link_key
    from records
    where email is not null

    union all

    select
        record_key,
        {{ dbt.concat(["'contact:'", "contact_id"]) }} as link_key
    from records
    where contact_id is not null

    union all

    select
        {{ dbt.concat(["'lead:'", "lead_id"]) }} as record_key,
        {{ dbt.concat(["'contact:'", "contact_id"]) }} as link_key
    from contact_matches

    union all

    select
        named_records.record_key,
        {{ dbt.concat([
            "'name:'", "named_records.last_name", "'|'", "named_records.first_name",
            "'|'", "named_records.account_key"
        ]) }} as link_key
    from named_records
    left join namesakes
        on named_records.last_name = namesakes.last_name
        and named_records.first_name = namesakes.first_name
        and named_records.account_key = namesakes.account_key
    where namesakes.account_key is null
),

-- every record reachable from each record through shared links (union: stops when no
-- new pair appears)
reachable (record_key, reached_key) as (
    select
        record_key,
        record_key as reached_key
    from records

    union

    select
        reachable.record_key,
        onward.record_key as reached_key
    from reachable
    inner join links as via
        on reachable.reached_key = via.record_key
    inner join links as onward
        on via.link_key = onward.link_key
),

components as (
    select
        record_key,
        min(reached_key) as component_key
    from reachable
    group by record_key
),

persons as (
    select
        components.component_key,
        coalesce(
            min(records.contact_id), {{ dbt.concat(["'lead:'", "min(records.lead_id)"]) }}
        ) as person_key,
        count(*) as person_records
    from components
    inner join records
        on components.record_key = records.record_key
    group by components.component_key
),

final as (
    select
        records.record_type,
        records.record_id,
        persons.person_key,
        persons.person_records
    from records
    inner join components
        on records.record_key = components.record_key
    inner join persons
        on components.component_key = persons.component_key
)

select * from final
