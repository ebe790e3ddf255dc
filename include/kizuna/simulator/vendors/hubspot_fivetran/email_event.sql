-- HubSpot's e-mail events name the recipient's address, not the contact; the world's
-- other activities (web visits, forms, events, cards) have no table in this shape.
with lead_email as (
    select
        lead_id,
        arg_max(email, updated_at) as email
    from ma_leads
    group by 1
)

select
    a._day,
    a.activity_id as id,
    case a.activity_type
        when 'email_send' then 'SENT'
        when 'email_open' then 'OPEN'
        else 'CLICK'
    end as type,
    cast(epoch_ms(a.occurred_at) as varchar) as created,
    l.email as recipient,
    a.campaign_id as email_campaign_id,
    false as filtered_event
from ma_activities as a
left join lead_email as l on a.lead_id = l.lead_id
where a.activity_type in ('email_send', 'email_open', 'email_click')
