-- HubSpot contacts with a primary company (the associatedcompanyid property, else the
-- contact_company association) are the CRM's contacts of that company.
with company_of_contact as (
    select
        contact_id,
        min(company_id) filter (where type_id = '1' or category is null) as primary_company,
        min(company_id) as any_company
    from contact_company_history
    group by contact_id
),

contacts as (
    select
        c.*,
        coalesce(
            kz_trim(c.property_associatedcompanyid), a.primary_company, a.any_company
        ) as company_id
    from contact as c
    left join company_of_contact as a on c.id = a.contact_id
)

select
    _file,
    _row_number,
    id as contact_id,
    company_id as account_id,
    property_email as email,
    property_lastname as last_name,
    property_firstname as first_name,
    property_department as department,
    property_jobtitle as title,
    case lower(kz_trim(property_hs_buying_role))
        when 'decision_maker' then 'decision_maker'
        when 'budget_holder' then 'economic_buyer'
        when 'champion' then 'champion'
        when 'influencer' then 'influencer'
        when 'end_user' then 'user'
    end as buying_role,
    coalesce(kz_timestamp(property_lastmodifieddate), kz_timestamp(updated_at),
             kz_timestamp(property_createdate), kz_timestamp(created_at),
             kz_timestamp(_fivetran_synced)) as updated_at,
    case
        when kz_bool(_fivetran_deleted) = 'true' then 'deleted in HubSpot'
        when company_id is null
            then 'no primary company: a lead only, not a CRM contact'
    end as _excluded
from contacts
