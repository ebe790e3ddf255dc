-- The owners of accounts as users, each landed with the first account it owns.
select
    min(_day) as _day,
    '005' || left(md5(owner), 15) as Id,
    owner as Name,
    split_part(owner, ' ', 1) as LastName,
    nullif(split_part(owner, ' ', 2), '') as FirstName,
    true as IsActive,
    'Standard' as UserType
from crm_accounts
where owner is not null
group by owner
