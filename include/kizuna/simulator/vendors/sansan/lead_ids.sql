-- The cards' ids as the adapter keys them (sansan- + 名刺ID) -> the world's leads.
select distinct
    'sansan-' || lead_id as lead_id,
    lead_id as world_lead_id
from ma_leads
where lead_source = 'business_card'
