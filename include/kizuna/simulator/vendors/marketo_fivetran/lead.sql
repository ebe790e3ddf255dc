-- Fivetran's lead table: a lead's row again each time it changes (its updated_at), with
-- Marketo's own lead source values.
select
    _day,
    lead_id as id,
    cast(updated_at as timestamptz) + interval 1 hour as _fivetran_synced,
    false as _fivetran_deleted,
    cast(created_at as timestamptz) as created_at,
    cast(updated_at as timestamptz) as updated_at,
    email,
    first_name,
    last_name,
    job_title as title,
    department,
    phone,
    company_name as company,
    case lead_source
        when 'web_form' then 'Website'
        when 'event' then 'Trade Show'
        when 'business_card' then 'Business Card'
        when 'import' then 'List Import'
    end as lead_source,
    opt_out as unsubscribed
from ma_leads
