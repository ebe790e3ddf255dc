{#- Effective-dated CRM contacts with their personal data: every delivered version
    (stg_crm__contact_versions), merged with the snapshot's states (a version wins over a
    snapshot row of the same time), consecutive identical states collapsed, each valid
    until the next began. dim_contacts_history is this without the personal data. -#}
with {{ scd_intervals(
    'contact_id',
    ['account_id', 'email', 'last_name', 'first_name', 'department', 'title', 'buying_role'],
    ref('stg_crm__contact_versions'),
    ref('snap_crm__contacts'),
) }},

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
        intervals.is_current,
        intervals.version_source,
        -- false for an account the CRM export never delivered (the contact is kept)
        case when intervals.account_id is not null then accounts.account_id is not null end as has_known_account
    from intervals
    left join accounts
        on intervals.account_id = accounts.account_id
)

select * from final
