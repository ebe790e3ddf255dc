-- Fivetran's opportunity_contact_role as OpportunityContactRole, columns spelt alike being one:
-- a row Fivetran marks deleted is deleted, as one in the recycle bin.
select
    *,
    if(kz_bool(_fivetran_deleted) = 'true', 'true', is_deleted) as isdeleted
from opportunity_contact_role
