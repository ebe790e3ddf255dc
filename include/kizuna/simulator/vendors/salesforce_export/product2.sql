select
    _day,
    product_id as Id,
    product_name as Name,
    product_id as ProductCode,
    true as IsActive,
    product_family as Family,
    'JPY' as CurrencyIsoCode,
    false as IsDeleted
from crm_products
