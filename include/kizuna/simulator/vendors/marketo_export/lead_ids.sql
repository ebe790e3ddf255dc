-- Marketo's lead id is the world's.
select distinct
    lead_id,
    lead_id as world_lead_id
from ma_leads
