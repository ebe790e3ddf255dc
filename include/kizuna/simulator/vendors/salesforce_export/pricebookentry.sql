-- Each product's list price as its entry in the standard price book.
select
    _day,
    '01u' || left(md5(product_id), 15) as Id,
    product_name as Name,
    '01s000000000001AAA' as Pricebook2Id,
    product_id as Product2Id,
    'JPY' as CurrencyIsoCode,
    list_price_jpy as UnitPrice,
    true as IsActive,
    false as UseStandardPrice,
    product_id as ProductCode,
    false as IsDeleted
from crm_products
