-- The world's domain is what was typed into Website (at times a URL): written as it is.
select
    _day,
    account_id as Id,
    false as IsDeleted,
    null as MasterRecordId,
    account_name as Name,
    domain as Website,
    industry as Industry,
    'JPY' as CurrencyIsoCode,
    '005' || left(md5(owner), 15) as OwnerId,
    strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') as CreatedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as LastModifiedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    false as IsPersonAccount,
    corporate_number as Corporate_Number__c,
    case abm_tier
        when 'tier_1' then 'Tier 1'
        when 'tier_2' then 'Tier 2'
        when 'tier_3' then 'Tier 3'
    end as ABM_Tier__c
from crm_accounts
