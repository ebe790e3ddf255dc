-- The standard price book, landed with the first products.
select
    (select min(_day) from crm_products) as _day,
    '01s000000000001AAA' as Id,
    false as IsDeleted,
    'Standard Price Book' as Name,
    true as IsActive,
    true as IsStandard
