{#- Lead -> CRM contact by normalised e-mail. An e-mail that belongs to more than one
    contact is ambiguous and left unlinked rather than forced. -#}
with leads as (
    select * from {{ ref('stg_ma__leads') }}
),

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
),

contacts_by_email as (
    select
        email,
        min(contact_id) as contact_id,
        count(*) as n_contacts
    from contacts
    where email is not null
    group by email
),

matched as (
    select
        leads.lead_id,
        contacts_by_email.contact_id,
        contacts_by_email.n_contacts
    from leads
    inner join contacts_by_email
        on leads.email = contacts_by_email.email
),

final as (
    select
        matched.lead_id,
        case when matched.n_contacts = 1 then matched.contact_id end as contact_id,
        case when matched.n_contacts = 1 then 'email' else 'ambiguous_email' end as match_method,
        case when matched.n_contacts = 1 then 1.0 else 0.0 end as match_confidence
    from matched
)

select * from final
