{#- Effective-dated CRM contacts without their personal data: restricted_contacts_history's
    intervals (one per state of the contact's account, e-mail, name, department, title and
    buying role), the e-mail as its keyed hash. -#}
with contacts_history as (
    select * from {{ ref('restricted_contacts_history') }}
),

final as (
    select
        contact_history_key,
        contact_id,
        account_id,
        email_hash,
        buying_role,
        valid_from,
        valid_to,
        is_current,
        version_source,
        has_known_account
    from contacts_history
)

select * from final
