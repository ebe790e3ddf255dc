-- Contract terms as assets: the term as lifecycle dates, the yearly amount as the price of
-- one unit. Asset statuses say installed or obsolete (churned): a term that was renewed or
-- ran out is written as installed, and reads back active (see writer.yml).
select
    _day,
    contract_id as Id,
    account_id as AccountId,
    product_id as Product2Id,
    product_id as ProductCode,
    false as IsCompetitorProduct,
    strftime(min(updated_at) over (partition by contract_id), '%Y-%m-%dT%H:%M:%S.%gZ')
        as CreatedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as LastModifiedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    false as IsDeleted,
    'JPY' as CurrencyIsoCode,
    contract_id as Name,
    strftime(started_on, '%Y-%m-%d') as InstallDate,
    strftime(started_on, '%Y-%m-%d') as LifecycleStartDate,
    strftime(ended_on, '%Y-%m-%d') as LifecycleEndDate,
    case status when 'churned' then 'Obsolete' else 'Installed' end as Status,
    annual_amount_jpy as Price,
    1 as Quantity,
    false as IsInternal
from crm_contracts
