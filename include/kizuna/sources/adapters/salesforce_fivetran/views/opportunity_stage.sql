-- Fivetran's opportunity_stage as OpportunityStage, columns spelt alike being one:
-- it has no recycle bin, so a row Fivetran marks deleted is gone.
select * from opportunity_stage where kz_bool(_fivetran_deleted) is distinct from 'true'
