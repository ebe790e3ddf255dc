select
    _day,
    account_id as id,
    false as _fivetran_deleted,
    false as is_deleted,
    account_name as property_name,
    domain as property_domain,
    industry as property_industry,
    owner as property_hubspot_owner_id,
    upper(abm_tier) as property_hs_ideal_customer_profile,
    corporate_number as property_corporate_number,
    strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') as property_createdate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') as property_hs_lastmodifieddate
from crm_accounts
