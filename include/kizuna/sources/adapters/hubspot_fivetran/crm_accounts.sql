-- HubSpot companies as CRM accounts. The ideal-customer-profile tier is the ABM tier;
-- a corporate number only where the portal keeps one in a custom property.
select
    _file,
    _row_number,
    id as account_id,
    property_name as account_name,
    property_corporate_number as corporate_number,
    property_domain as domain,
    property_industry as industry,
    property_hubspot_owner_id as owner,
    case lower(kz_trim(property_hs_ideal_customer_profile))
        when 'tier_1' then 'tier_1'
        when 'tier_2' then 'tier_2'
        when 'tier_3' then 'tier_3'
    end as abm_tier,
    coalesce(kz_timestamp(property_createdate), kz_timestamp(created_at)) as created_at,
    coalesce(kz_timestamp(property_hs_lastmodifieddate), kz_timestamp(updated_at),
             kz_timestamp(property_createdate), kz_timestamp(created_at),
             kz_timestamp(_fivetran_synced)) as updated_at,
    case
        when kz_bool(_fivetran_deleted) = 'true' or kz_bool(is_deleted) = 'true'
            then 'deleted in HubSpot'
    end as _excluded
from company
