-- HubSpot contacts as MA leads. A deleted contact (_fivetran_deleted) is left out; the
-- analytics source says how the person arrived.
select
    _file,
    _row_number,
    id as lead_id,
    property_email as email,
    property_lastname as last_name,
    property_firstname as first_name,
    property_company as company_name,
    property_department as department,
    property_jobtitle as job_title,
    property_phone as phone,
    case
        when kz_trim(property_hs_analytics_source) is null then null
        when upper(property_hs_analytics_source) = 'OFFLINE' then 'import'
        when upper(property_hs_analytics_source) = 'EVENT' then 'event'
        else 'web_form'
    end as lead_source,
    kz_bool(property_hs_email_optout) as opt_out,
    coalesce(kz_timestamp(property_createdate), kz_timestamp(created_at)) as created_at,
    coalesce(kz_timestamp(property_lastmodifieddate), kz_timestamp(updated_at),
             kz_timestamp(property_createdate), kz_timestamp(created_at),
             kz_timestamp(_fivetran_synced)) as updated_at,
    case when kz_bool(_fivetran_deleted) = 'true' then 'deleted in HubSpot' end as _excluded
from contact
