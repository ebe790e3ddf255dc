{#- Lead hand-offs: one row per MA lead at a current MQA account (export_mqa_accounts)
    that may be contacted. A person who opted out (the lead's opt-out flag, or an
    unsubscribe activity) never appears, nor does any other lead with the same e-mail
    address: consent belongs to the person, not to one record of them. -#}
with leads as (
    select
        dim_leads.*,
        lead_contacts.email,
        lead_contacts.last_name,
        lead_contacts.first_name,
        lead_contacts.department,
        lead_contacts.job_title
    from {{ ref('dim_leads') }} as dim_leads
    inner join {{ ref('restricted_lead_contacts') }} as lead_contacts
        on dim_leads.lead_id = lead_contacts.lead_id
),

mqa_accounts as (
    select * from {{ ref('export_mqa_accounts') }}
),

unsubscribes as (
    select distinct lead_id
    from {{ ref('fct_activities') }}
    where activity_type = 'unsubscribe'
),

opted_out_emails as (
    select distinct leads.email
    from leads
    left join unsubscribes
        on leads.lead_id = unsubscribes.lead_id
    where leads.email is not null
        and (leads.is_opted_out or unsubscribes.lead_id is not null)
),

final as (
    select
        leads.lead_id,
        leads.contact_id,
        leads.email,
        leads.last_name,
        leads.first_name,
        leads.department,
        leads.job_title,
        leads.company_name,
        mqa_accounts.account_key,
        mqa_accounts.account_id,
        mqa_accounts.account_name,
        mqa_accounts.domain,
        mqa_accounts.qualified_on,
        mqa_accounts.engagement_score,
        mqa_accounts.target_tier,
        mqa_accounts.next_best_product
    from leads
    inner join mqa_accounts
        on leads.account_key = mqa_accounts.account_key
    left join opted_out_emails
        on leads.email = opted_out_emails.email
    where leads.email is not null
        and opted_out_emails.email is null
)

select * from final
