-- A lead's contact keeps the lead's id (a CRM contact merged into it too); the CRM contacts
-- of their own are no world leads.
select distinct
    lead_id,
    lead_id as world_lead_id
from ma_leads
