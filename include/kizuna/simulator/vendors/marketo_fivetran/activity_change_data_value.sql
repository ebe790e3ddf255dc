-- Change Data Value (13): each field of a lead that differs from its previous version
-- (e.g. Unsubscribed when it opts out), as Marketo logs it; the field is the primary
-- attribute. The adapter does not read these: the lead's new row carries the change.
with versions as (
    select
        *,
        lag(email) over w as was_email,
        lag(last_name) over w as was_last_name,
        lag(first_name) over w as was_first_name,
        lag(company_name) over w as was_company,
        lag(department) over w as was_department,
        lag(job_title) over w as was_title,
        lag(phone) over w as was_phone,
        lag(cast(opt_out as varchar)) over w as was_unsubscribed,
        row_number() over w as version
    from ma_leads
    window w as (partition by lead_id order by updated_at, _day)
),

changes as (
    select
        _day,
        lead_id,
        updated_at,
        unnest([
            {'field': 'Email Address', 'old': was_email, 'new': email},
            {'field': 'Last Name', 'old': was_last_name, 'new': last_name},
            {'field': 'First Name', 'old': was_first_name, 'new': first_name},
            {'field': 'Company Name', 'old': was_company, 'new': company_name},
            {'field': 'Department', 'old': was_department, 'new': department},
            {'field': 'Job Title', 'old': was_title, 'new': job_title},
            {'field': 'Phone Number', 'old': was_phone, 'new': phone},
            {'field': 'Unsubscribed', 'old': was_unsubscribed, 'new': cast(opt_out as varchar)}
        ]) as change
    from versions
    where version > 1
)

select
    _day,
    lead_id || '-13-' || strftime(updated_at, '%Y%m%d%H%M%S') || '-'
    || lower(replace(change.field, ' ', '_')) as id,
    cast(updated_at as timestamptz) + interval 1 hour as _fivetran_synced,
    cast(updated_at as timestamptz) as activity_date,
    13 as activity_type_id,
    cast(null as bigint) as campaign_id,
    lead_id,
    cast(null as varchar) as api_method_name,
    cast(null as varchar) as modifying_user,
    change.new as new_value,
    change.old as old_value,
    change.field as primary_attribute_value,
    cast(null as varchar) as primary_attribute_value_id,
    cast(null as varchar) as reason,
    cast(null as varchar) as request_id,
    cast(null as varchar) as source
from changes
where change.old is distinct from change.new
