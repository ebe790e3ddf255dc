{#- Lead -> CRM account. A lead whose e-mail is a CRM contact's takes that contact's
    account; any other lead takes the primary account of the company the identity task
    resolved it to (the confidence is that of both links), else the account the identity
    task resolved it to directly (a company the company database does not know). A company
    with no CRM account leaves the lead without one but keeps its corporate number. -#}
with leads as (
    select lead_id from {{ ref('stg_ma__leads') }}
),

contact_matches as (
    select * from {{ ref('int_lead_contact_matches') }}
),

contacts as (
    select
        contact_id,
        account_id
    from {{ ref('stg_crm__contacts') }}
),

lead_companies as (
    select * from {{ source('identity', 'lead_company_links') }}
),

account_companies as (
    select * from {{ ref('int_account_company_matches') }}
),

company_accounts as (
    select
        corporate_number,
        primary_account_id,
        max(case when account_id = primary_account_id then match_confidence end) as match_confidence
    from account_companies
    where corporate_number is not null
    group by corporate_number, primary_account_id
),

by_contact as (
    select
        contact_matches.lead_id,
        contact_matches.contact_id,
        contacts.account_id,
        account_companies.corporate_number,
        account_companies.account_key
    from contact_matches
    inner join contacts
        on contact_matches.contact_id = contacts.contact_id
    left join account_companies
        on contacts.account_id = account_companies.account_id
),

final as (
    select
        leads.lead_id,
        by_contact.contact_id,
        coalesce(
            by_contact.account_id, company_accounts.primary_account_id, lead_companies.account_id
        ) as account_id,
        coalesce(by_contact.corporate_number, lead_companies.corporate_number) as corporate_number,
        coalesce(
            by_contact.account_key, lead_companies.corporate_number,
            direct_accounts.account_key, lead_companies.prospect_key
        ) as account_key,
        case
            when by_contact.account_id is not null then 'email'
            when company_accounts.primary_account_id is not null then lead_companies.match_method
            when lead_companies.corporate_number is not null then 'no_account'
            when lead_companies.account_id is not null then lead_companies.match_method
            when contact_matches.match_method = 'ambiguous_email' then 'ambiguous_email'
            else coalesce(lead_companies.match_method, 'unresolved')
        end as match_method,
        cast(case
            when by_contact.account_id is not null then 1.0
            when company_accounts.primary_account_id is not null
                then lead_companies.match_confidence * company_accounts.match_confidence
            when lead_companies.corporate_number is not null then lead_companies.match_confidence
            when lead_companies.account_id is not null then lead_companies.match_confidence
            else 0.0
        end as {{ type_double() }}) as match_confidence
    from leads
    left join by_contact
        on leads.lead_id = by_contact.lead_id
    left join contact_matches
        on leads.lead_id = contact_matches.lead_id
    left join lead_companies
        on leads.lead_id = lead_companies.lead_id
    left join company_accounts
        on lead_companies.corporate_number = company_accounts.corporate_number
    left join account_companies as direct_accounts
        on lead_companies.account_id = direct_accounts.account_id
)

select * from final
