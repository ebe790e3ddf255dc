-- A deal's product as its one line item, landed with the first version naming it.
select
    min(o._day) as _day,
    '00k' || left(md5(o.opportunity_id || o.product_id), 15) as Id,
    o.opportunity_id as OpportunityId,
    '01u' || left(md5(o.product_id), 15) as PricebookEntryId,
    o.product_id as Product2Id,
    o.product_id as ProductCode,
    'JPY' as CurrencyIsoCode,
    1 as Quantity,
    arg_min(o.amount_jpy, o._day) as TotalPrice,
    arg_min(o.amount_jpy, o._day) as UnitPrice,
    strftime(min(o.created_at), '%Y-%m-%dT%H:%M:%S.%gZ') as CreatedDate,
    strftime(min(o.created_at), '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    false as IsDeleted
from crm_opportunities as o
where o.product_id is not null
group by o.opportunity_id, o.product_id
