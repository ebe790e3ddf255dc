select
    _day,
    campaign_id as id,
    name,
    name as subject,
    'BATCH_EMAIL' as type
from ma_campaigns
where channel = 'email'
