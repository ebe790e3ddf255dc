{#- ABM accounts: every company the pipeline can identify, customer or prospect, one row
    per company. A company of the company database is one whether or not it is in the CRM;
    a CRM account the company database does not know stands for its own company; a
    company known only from its leads (their business e-mail domain and company name, the
    identity task's prospect key) is one too. CRM accounts and customer status are
    attributes of an account, where they exist; so are its owner and ABM tier (those of
    its primary CRM account) and its firmographics (the company database's, else the
    CRM's industry). -#}
with companies as (
    select * from {{ ref('dim_companies') }}
),

crm_accounts as (
    select * from {{ ref('dim_accounts') }}
),

crm_industries as (
    select * from {{ ref('crm_industry_divisions') }}
),

company_versions as (
    select
        corporate_number,
        min(updated_at) as first_delivered_at
    from {{ ref('stg_firmo__company_versions') }}
    group by corporate_number
),

leads as (
    select
        matches.account_key,
        leads.company_name,
        leads.created_at
    from {{ ref('int_lead_account_matches') }} as matches
    inner join {{ ref('stg_ma__leads') }} as leads
        on matches.lead_id = leads.lead_id
    where matches.account_key is not null
),

crm_per_key as (
    select
        account_key,
        min(primary_account_id) as crm_account_id,
        count(*) as crm_account_count,
        max(case when account_id = primary_account_id then account_name end) as crm_account_name,
        max(case when account_id = primary_account_id then domain end) as crm_domain,
        max(case when account_id = primary_account_id then owner end) as owner,
        max(case when account_id = primary_account_id then abm_tier end) as abm_tier,
        max(case when account_id = primary_account_id then industry end) as crm_industry,
        min(created_at) as crm_created_at,
        max(case when is_customer then 1 else 0 end) = 1 as is_customer,
        sum(arr_jpy) as arr_jpy,
        min(customer_since) as customer_since
    from crm_accounts
    group by account_key
),

leads_per_key as (
    select
        account_key,
        count(*) as lead_count,
        min(created_at) as first_lead_at,
        -- the name most of its leads typed
        {{ mode_of('company_name') }} as lead_company_name
    from leads
    group by account_key
),

-- the first time the company showed up anywhere: a CRM account, a lead, or the
-- company database's first delivery of it
sightings as (
    select
        account_key,
        crm_created_at as seen_at
    from crm_per_key
    union all
    select
        account_key,
        first_lead_at as seen_at
    from leads_per_key
    union all
    select
        corporate_number as account_key,
        first_delivered_at as seen_at
    from company_versions
),

first_sightings as (
    select
        account_key,
        min(seen_at) as first_seen_at
    from sightings
    group by account_key
),

keys as (
    select corporate_number as account_key from companies
    union
    select account_key from crm_per_key
    union
    select account_key from leads_per_key
),

final as (
    select
        keys.account_key,
        case
            when companies.corporate_number is not null then 'company_database'
            when crm_per_key.account_key is not null then 'crm'
            when keys.account_key like 'domain:%' then 'lead_domain'
            else 'lead_name'
        end as key_source,
        companies.corporate_number,
        coalesce(
            companies.company_name, crm_per_key.crm_account_name, leads_per_key.lead_company_name
        ) as account_name,
        coalesce(
            companies.domain, crm_per_key.crm_domain,
            case when keys.account_key like 'domain:%' then substr(keys.account_key, 8) end
        ) as domain,
        crm_per_key.crm_account_id,
        coalesce(crm_per_key.crm_account_count, 0) as crm_account_count,
        crm_per_key.owner,
        crm_per_key.abm_tier,
        coalesce(companies.industry_division, crm_industries.industry_division) as industry_division,
        companies.industry_code,
        companies.employees,
        companies.revenue_jpy,
        companies.prefecture,
        coalesce(crm_per_key.is_customer, false) as is_customer,
        coalesce(crm_per_key.arr_jpy, 0) as arr_jpy,
        crm_per_key.customer_since,
        coalesce(leads_per_key.lead_count, 0) as lead_count,
        first_sightings.first_seen_at
    from keys
    left join companies
        on keys.account_key = companies.corporate_number
    left join crm_per_key
        on keys.account_key = crm_per_key.account_key
    left join leads_per_key
        on keys.account_key = leads_per_key.account_key
    left join crm_industries
        on crm_per_key.crm_industry = crm_industries.crm_industry
    left join first_sightings
        on keys.account_key = first_sightings.account_key
)

select * from final
