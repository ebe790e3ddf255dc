-- The deal -> company association, landed with the deal's first version.
select
    min(_day) as _day,
    opportunity_id as deal_id,
    account_id as company_id,
    '5' as type_id,
    'HUBSPOT_DEFINED' as category
from crm_opportunities
group by opportunity_id, account_id
