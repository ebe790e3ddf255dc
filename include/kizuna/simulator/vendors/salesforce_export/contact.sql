-- Contacts carry no creation date in the world: their first version's is used.
select
    _day,
    contact_id as Id,
    false as IsDeleted,
    null as MasterRecordId,
    account_id as AccountId,
    last_name as LastName,
    first_name as FirstName,
    concat_ws(' ', last_name, first_name) as Name,
    email as Email,
    title as Title,
    department as Department,
    'JPY' as CurrencyIsoCode,
    false as HasOptedOutOfEmail,
    strftime(min(updated_at) over (partition by contact_id), '%Y-%m-%dT%H:%M:%S.%gZ')
        as CreatedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as LastModifiedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp
from crm_contacts
