-- Fivetran's pricebook_2 as Pricebook2, columns spelt alike being one:
-- a row Fivetran marks deleted is deleted, as one in the recycle bin.
select
    *,
    if(kz_bool(_fivetran_deleted) = 'true', 'true', is_deleted) as isdeleted
from pricebook_2
