-- HubSpot companies export as CRM accounts. The domain is the company domain, else the
-- website's host; the ideal-customer-profile tier ("Tier 1") is the ABM tier.
select
    _file,
    _row_number,
    kz_trim(record_id) as account_id,
    kz_trim(company_name) as account_name,
    kz_trim(corporate_number) as corporate_number,
    coalesce(
        lower(kz_trim(company_domain_name)),
        nullif(
            regexp_extract(
                lower(kz_trim(website_url)), '^(?:https?://)?(?:www\.)?([^/:?#]+)', 1
            ),
            ''
        )
    ) as domain,
    kz_trim(industry) as industry,
    kz_trim(company_owner) as owner,
    case regexp_replace(lower(kz_trim(ideal_customer_profile_tier)), '[\s_\-]', '', 'g')
        when 'tier1' then 'tier_1'
        when 'tier2' then 'tier_2'
        when 'tier3' then 'tier_3'
    end as abm_tier,
    kz_timestamp(create_date) as created_at,
    coalesce(kz_timestamp(last_modified_date), kz_timestamp(create_date)) as updated_at,
    case
        when kz_trim(record_id) is null then 'no Record ID'
        when kz_trim(last_modified_date) is null and kz_trim(create_date) is null
            then 'no Create Date or Last Modified Date'
    end as _excluded
from companies
