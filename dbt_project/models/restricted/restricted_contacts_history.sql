{#- Effective-dated CRM contacts with their personal data: every delivered version
    (stg_crm__contact_versions), merged with the snapshot's states (a version wins over a
    snapshot row of the same time), consecutive identical states collapsed, each valid
    until the next began. dim_contacts_history is this without the personal data. -#}
with versions as (
    select
        contact_id,
        account_id,
        email,
        last_name,
        first_name,
        department,
        title,
        buying_role,
        updated_at,
        'delivered' as version_source
    from {{ ref('stg_crm__contact_versions') }}
),

snapshot_states as (
    select
        contact_id,
        account_id,
        email,
        last_name,
        first_name,
        department,
        title,
        buying_role,
        dbt_valid_from as updated_at,
        'snapshot' as version_source
    from {{ ref('snap_crm__contacts') }}
),

combined as (
    select * from versions
    union all
    select * from snapshot_states
),

deduplicated as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by contact_id, updated_at
                order by case when version_source = 'delivered' then 0 else 1 end
            ) as source_rank
        from combined
    ) as ranked
    where source_rank = 1
),

signed as (
    select
        *,
        {{ dbt.concat(["coalesce(account_id, '')", "'|'", "coalesce(email, '')", "'|'",
                       "coalesce(last_name, '')", "'|'", "coalesce(first_name, '')", "'|'",
                       "coalesce(department, '')", "'|'", "coalesce(title, '')", "'|'",
                       "coalesce(buying_role, '')"]) }} as state_signature
    from deduplicated
),

changes as (
    select *
    from (
        select
            *,
            lag(state_signature) over (partition by contact_id order by updated_at) as previous_signature
        from signed
    ) as compared
    where previous_signature is null or previous_signature <> state_signature
),

intervals as (
    select
        *,
        {{ versions_to_intervals('contact_id', 'updated_at') }}
    from changes
),

accounts as (
    select account_id from {{ ref('stg_crm__accounts') }}
),

final as (
    select
        {{ dbt.concat([
            "intervals.contact_id", "'@'", "cast(intervals.valid_from as " ~ dbt.type_string() ~ ")"
        ]) }} as contact_history_key,
        intervals.contact_id,
        intervals.account_id,
        {{ person_hash('intervals.email') }} as email_hash,
        intervals.email,
        intervals.last_name,
        intervals.first_name,
        intervals.department,
        intervals.title,
        intervals.buying_role,
        intervals.valid_from,
        intervals.valid_to,
        intervals.valid_to is null as is_current,
        intervals.version_source,
        -- false for an account the CRM export never delivered (the contact is kept)
        case when intervals.account_id is not null then accounts.account_id is not null end as has_known_account
    from intervals
    left join accounts
        on intervals.account_id = accounts.account_id
)

select * from final
