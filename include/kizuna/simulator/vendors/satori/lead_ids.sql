-- The customers' ids as the adapter keys them (satori- + カスタマーID) -> the world's leads.
select distinct
    'satori-' || lead_id as lead_id,
    lead_id as world_lead_id
from ma_leads
where email is not null
