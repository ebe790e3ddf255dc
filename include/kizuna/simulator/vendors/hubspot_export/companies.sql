-- The Companies export: the domain HubSpot derives from the website (its host, without
-- www), the website as typed, the ideal customer profile tier as its label.
select
    _day,
    account_id as "Record ID",
    account_name as "Company name",
    nullif(
        regexp_replace(
            regexp_replace(lower(trim(domain)), '^[a-z]+://', ''), '^www\.|[/?#:].*$', '', 'g'
        ),
        ''
    ) as "Company Domain Name",
    domain as "Website URL",
    industry as "Industry",
    owner as "Company owner",
    strftime(
        timezone(getvariable('timezone'), cast(created_at as timestamptz)), '%Y-%m-%d %H:%M'
    ) as "Create Date",
    strftime(
        timezone(getvariable('timezone'), cast(updated_at as timestamptz)), '%Y-%m-%d %H:%M'
    ) as "Last Modified Date",
    case abm_tier
        when 'tier_1' then 'Tier 1'
        when 'tier_2' then 'Tier 2'
        when 'tier_3' then 'Tier 3'
    end as "Ideal Customer Profile Tier",
    corporate_number as "Corporate Number"
from crm_accounts
