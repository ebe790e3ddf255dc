-- Bulk Lead Extract rows: every field text, an empty one written as null.
select
    _day,
    lead_id as id,
    coalesce(email, 'null') as email,
    coalesce(first_name, 'null') as firstName,
    coalesce(last_name, 'null') as lastName,
    coalesce(company_name, 'null') as company,
    coalesce(job_title, 'null') as title,
    coalesce(department, 'null') as department,
    coalesce(phone, 'null') as phone,
    case lead_source
        when 'web_form' then 'Website'
        when 'event' then 'Trade Show'
        when 'business_card' then 'Business Card'
        when 'import' then 'List Import'
        else 'null'
    end as leadSource,
    'null' as originalSourceType,
    coalesce(cast(opt_out as varchar), 'null') as unsubscribed,
    coalesce(strftime(created_at, '%Y-%m-%dT%H:%M:%SZ'), 'null') as createdAt,
    coalesce(strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ'), 'null') as updatedAt
from ma_leads
