-- HubSpot contacts export as MA leads. The original source (label or internal value) says
-- how the person arrived; "Unsubscribed from all email" is the opt-out (Yes / No).
select
    _file,
    _row_number,
    kz_trim(record_id) as lead_id,
    kz_trim(email) as email,
    kz_trim(last_name) as last_name,
    kz_trim(first_name) as first_name,
    kz_trim(company_name) as company_name,
    kz_trim(department) as department,
    kz_trim(job_title) as job_title,
    coalesce(kz_trim(phone_number), kz_trim(mobile_phone_number)) as phone,
    case
        when kz_trim(original_source) is null then null
        when lower(coalesce(original_source_drill_down_1, '')) like '%event%'
            or lower(coalesce(original_source_drill_down_2, '')) like '%event%' then 'event'
        when lower(original_source) in ('offline sources', 'offline') then 'import'
        else 'web_form'
    end as lead_source,
    kz_bool(unsubscribed_from_all_email) as opt_out,
    kz_timestamp(create_date) as created_at,
    coalesce(kz_timestamp(last_modified_date), kz_timestamp(create_date)) as updated_at,
    case
        when kz_trim(record_id) is null then 'no Record ID'
        when kz_trim(create_date) is null then 'no Create Date'
    end as _excluded
from contacts
