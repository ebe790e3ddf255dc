-- HubSpot contacts with a primary company are the CRM's contacts of that company.
select
    _file,
    _row_number,
    id as contact_id,
    property_associatedcompanyid as account_id,
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
    coalesce(kz_timestamp(property_lastmodifieddate), kz_timestamp(property_createdate),
             kz_timestamp(_fivetran_synced)) as updated_at,
    case
        when kz_bool(_fivetran_deleted) = 'true' then 'deleted in HubSpot'
        when kz_trim(property_associatedcompanyid) is null
            then 'no primary company: a lead only, not a CRM contact'
    end as _excluded
from contact
