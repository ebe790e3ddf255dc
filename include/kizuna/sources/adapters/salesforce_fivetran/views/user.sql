-- Fivetran's user as User, columns spelt alike being one:
-- it has no recycle bin, so a row Fivetran marks deleted is gone.
select * from "user" where kz_bool(_fivetran_deleted) is distinct from 'true'
