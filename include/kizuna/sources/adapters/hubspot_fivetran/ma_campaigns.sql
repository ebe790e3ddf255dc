-- HubSpot marketing e-mails (email_campaign) as e-mail campaigns.
select
    _file,
    _row_number,
    id as campaign_id,
    coalesce(name, subject) as name,
    'email' as channel,
    null as product_id,
    null as started_on,
    null as ended_on,
    null as cost_jpy,
    null as _excluded
from email_campaign
