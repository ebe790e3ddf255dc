-- Salesforce opportunities. IsWon/IsClosed decide won and lost (else the org's stage list,
-- OpportunityStage, else the stage name); open stages map by name, standard and common
-- custom ones, then by probability. The product is the largest line item's Product2Id.
with stage_list as (
    select
        lower(kz_trim(coalesce(masterlabel, apiname))) as stage_key,
        kz_bool(iswon) = 'true' as is_won,
        kz_bool(isclosed) = 'true' as is_closed
    from opportunitystage_history
    qualify row_number() over (
        partition by lower(kz_trim(coalesce(masterlabel, apiname)))
        order by _interval desc, _row_number desc
    ) = 1
),

main_product as (
    select
        opportunityid,
        product2id
    from opportunitylineitem_history
    where kz_bool(isdeleted) is distinct from 'true'
        and kz_trim(product2id) is not null
    qualify row_number() over (
        partition by opportunityid
        order by _interval desc,
            try_cast(kz_amount(totalprice) as double) desc nulls last,
            id
    ) = 1
),

opportunities as (
    select
        o.*,
        lower(kz_trim(o.stagename)) as stage_key,
        try_cast(kz_amount(o.probability) as double) as probability_pct,
        coalesce(
            case kz_bool(o.iswon) when 'true' then true when 'false' then false end,
            s.is_won,
            lower(kz_trim(o.stagename)) in ('closed won', 'won', '受注', '成約')
        ) as won,
        coalesce(
            case kz_bool(o.isclosed) when 'true' then true when 'false' then false end,
            s.is_closed,
            lower(kz_trim(o.stagename)) in (
                'closed won', 'won', '受注', '成約', 'closed lost', 'lost', '失注',
                'disqualified', 'closed - disqualified'
            )
        ) as closed
    from opportunity as o
    left join stage_list as s on lower(kz_trim(o.stagename)) = s.stage_key
),

staged as (
    select
        *,
        kz_stage(won, closed, stage_key, probability_pct) as stage
    from opportunities
)

select
    o._file,
    o._row_number,
    o.id as opportunity_id,
    kz_trim(o.accountid) as account_id,
    p.product2id as product_id,
    o.stage,
    kz_in_reporting_currency(o.amount, o.currencyisocode) as amount_jpy,
    kz_timestamp(o.createddate) as created_at,
    kz_date(o.closedate) as close_date,
    o.stage in ('closed_won', 'closed_lost') as is_closed,
    o.stage = 'closed_won' as is_won,
    case when o.stage = 'closed_lost' then kz_trim(o.loss_reason__c) end as lost_reason,
    coalesce(kz_timestamp(o.systemmodstamp), kz_timestamp(o.lastmodifieddate),
             kz_timestamp(o.createddate)) as updated_at,
    case
        when kz_bool(o.isdeleted) = 'true' then 'deleted in Salesforce'
        when kz_trim(o.accountid) is null then 'opportunity has no account'
        when kz_trim(o.amount) is not null and kz_rate(o.currencyisocode) is null
            then 'no exchange rate for currency ' || upper(kz_trim(o.currencyisocode))
    end as _excluded
from staged as o
left join main_product as p on o.id = p.opportunityid
