select
    _day,
    opportunity_id as deal_id,
    strftime(changed_at, '%Y-%m-%dT%H:%M:%SZ') as date_entered,
    stage as value,
    'CRM_UI' as source
from crm_opportunity_history
