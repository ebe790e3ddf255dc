{#- Leads and CRM contacts resolved to persons (名寄せ of people), one resolution per value
    of `resolved_on` (a date, so that the ML features can resolve people as known at each
    cutoff and the warehouse as it is now with one formula). `records` names a relation
    or CTE with one row per resolved_on and record: resolved_on, record_type (ma_lead /
    crm_contact), record_id, record_key (unique across both types), contact_link (a
    contact's own id, a lead's matched contact), email (normalised), last_name,
    first_name, account_key. Records are one person when linked, directly or through
    other records, by
    - the same normalised e-mail;
    - a lead and the CRM contact it was matched to;
    - the same last and first name at the same ABM account, unless that name has two
      different mailboxes at one e-mail domain there: two namesakes in one company (a
      second mailbox is how a company tells them apart).
    A person's key is its CRM contact (the lowest contact_id when it has several), else
    lead:<lowest lead_id>. Emits CTEs (to follow `with recursive ... records as (...),`)
    ending with `resolved_persons`: resolved_on, record_type, record_id, person_key,
    person_records. The records CTE is written by macro person_records. -#}
{% macro person_resolution(records) -%}
person_named_records as (
    select * from {{ records }}
    where last_name is not null
        and first_name is not null
        and account_key is not null
),

-- a name at an account with two mailboxes at one domain belongs to two people
person_namesakes as (
    select
        resolved_on,
        last_name,
        first_name,
        account_key
    from person_named_records
    where email is not null
    group by resolved_on, last_name, first_name, account_key, {{ dbt.split_part('email', "'@'", 2) }}
    having count(distinct email) > 1
),

-- each record with what it shares with others: records sharing a link are one person
person_links as (
    select
        resolved_on,
        record_key,
        {{ dbt.concat(["'email:'", "email"]) }} as link_key
    from {{ records }}
    where email is not null

    union all

    select
        resolved_on,
        record_key,
        {{ dbt.concat(["'contact:'", "contact_link"]) }} as link_key
    from {{ records }}
    where contact_link is not null

    union all

    select
        person_named_records.resolved_on,
        person_named_records.record_key,
        {{ dbt.concat([
            "'name:'", "person_named_records.last_name", "'|'", "person_named_records.first_name",
            "'|'", "person_named_records.account_key"
        ]) }} as link_key
    from person_named_records
    left join person_namesakes
        on person_named_records.resolved_on = person_namesakes.resolved_on
        and person_named_records.last_name = person_namesakes.last_name
        and person_named_records.first_name = person_namesakes.first_name
        and person_named_records.account_key = person_namesakes.account_key
    where person_namesakes.account_key is null
),

-- every record reachable from each record through shared links (union: stops when no
-- new pair appears)
person_reach (resolved_on, record_key, reached_key) as (
    select
        resolved_on,
        record_key,
        record_key as reached_key
    from {{ records }}

    union

    select
        person_reach.resolved_on,
        person_reach.record_key,
        onward.record_key as reached_key
    from person_reach
    inner join person_links as via
        on person_reach.resolved_on = via.resolved_on
        and person_reach.reached_key = via.record_key
    inner join person_links as onward
        on via.resolved_on = onward.resolved_on
        and via.link_key = onward.link_key
),

person_components as (
    select
        resolved_on,
        record_key,
        min(reached_key) as component_key
    from person_reach
    group by resolved_on, record_key
),

person_keys as (
    select
        person_components.resolved_on,
        person_components.component_key,
        coalesce(
            min(case when resolved_records.record_type = 'crm_contact' then resolved_records.record_id end),
            {{ dbt.concat(["'lead:'", "min(resolved_records.record_id)"]) }}
        ) as person_key,
        count(*) as person_records
    from person_components
    inner join {{ records }} as resolved_records
        on person_components.resolved_on = resolved_records.resolved_on
        and person_components.record_key = resolved_records.record_key
    group by person_components.resolved_on, person_components.component_key
),

resolved_persons as (
    select
        resolved_records.resolved_on,
        resolved_records.record_type,
        resolved_records.record_id,
        person_keys.person_key,
        person_keys.person_records
    from {{ records }} as resolved_records
    inner join person_components
        on resolved_records.resolved_on = person_components.resolved_on
        and resolved_records.record_key = person_components.record_key
    inner join person_keys
        on person_components.resolved_on = person_keys.resolved_on
        and person_components.component_key = person_keys.component_key
)
{%- endmacro %}


{#- The records person_resolution reads, as one CTE `records`: every lead of `leads` and
    contact of `contacts` known on each date of `dates` (resolved_on). `leads` has lead_id,
    contact_id (its matched contact), email, last_name, first_name, account_key and
    known_on; `contacts` has contact_id, email, last_name, first_name, account_key and
    known_on. A record whose known_on is null is known on every date (the warehouse's own
    resolution, as of now). Use inside `with recursive`:
        {{ person_records('leads', 'contacts', 'dates') }},
        {{ person_resolution('records') }},
-#}
{% macro person_records(leads, contacts, dates) -%}
records as (
    select
        {{ dates }}.resolved_on,
        'ma_lead' as record_type,
        {{ leads }}.lead_id as record_id,
        {{ dbt.concat(["'lead:'", leads ~ ".lead_id"]) }} as record_key,
        {{ leads }}.contact_id as contact_link,
        {{ leads }}.email,
        {{ leads }}.last_name,
        {{ leads }}.first_name,
        {{ leads }}.account_key
    from {{ leads }}
    inner join {{ dates }}
        on {{ leads }}.known_on is null or {{ leads }}.known_on <= {{ dates }}.resolved_on

    union all

    select
        {{ dates }}.resolved_on,
        'crm_contact' as record_type,
        {{ contacts }}.contact_id as record_id,
        {{ dbt.concat(["'contact:'", contacts ~ ".contact_id"]) }} as record_key,
        {{ contacts }}.contact_id as contact_link,
        {{ contacts }}.email,
        {{ contacts }}.last_name,
        {{ contacts }}.first_name,
        {{ contacts }}.account_key
    from {{ contacts }}
    inner join {{ dates }}
        on {{ contacts }}.known_on is null or {{ contacts }}.known_on <= {{ dates }}.resolved_on
)
{%- endmacro %}
