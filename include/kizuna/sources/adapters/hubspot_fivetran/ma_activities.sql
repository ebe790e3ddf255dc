-- HubSpot e-mail events as MA activities. The recipient is found among the contacts by
-- e-mail address (the event names no contact). Event types without a contract type are
-- left out with their reason.
with contact_by_email as (
    select
        lower(kz_trim(property_email)) as email,
        min(id) as contact_id
    from contact_history
    where kz_trim(property_email) is not null
    group by 1
)

select
    e._file,
    e._row_number,
    'hubspot-email-' || e.id as activity_id,
    c.contact_id as lead_id,
    case upper(kz_trim(e.type))
        when 'SENT' then 'email_send'
        when 'OPEN' then 'email_open'
        when 'CLICK' then 'email_click'
    end as activity_type,
    kz_timestamp(e.created) as occurred_at,
    e.email_campaign_id as campaign_id,
    null as asset_id,
    k.url as url,
    case
        when upper(kz_trim(e.type)) not in ('SENT', 'OPEN', 'CLICK')
            or e.type is null
            then 'e-mail event type ' || coalesce(upper(e.type), 'NULL')
                || ' has no contract activity type'
        when kz_bool(e.filtered_event) = 'true' then 'filtered by HubSpot (bot or duplicate)'
        when c.contact_id is null then 'recipient is no known contact'
    end as _excluded
from email_event as e
left join contact_by_email as c on lower(kz_trim(e.recipient)) = c.email
left join (
    select
        id,
        any_value(url) as url
    from email_event_click_history
    group by id
) as k on e.id = k.id
