-- Calls, e-mails and proposals as completed tasks. A task records that it was done, not
-- how it went: replied, accepted, declined and pending have no field (see writer.yml).
select
    _day,
    activity_id as Id,
    contact_id as WhoId,
    account_id as WhatId,
    case activity_type
        when 'call' then '電話'
        when 'email' then 'Email: ご連絡'
        else '提案書送付'
    end as Subject,
    strftime(occurred_at, '%Y-%m-%d') as ActivityDate,
    'Completed' as Status,
    'Normal' as Priority,
    case activity_type when 'call' then 'Call' when 'email' then 'Email' else 'Other' end
        as Type,
    false as IsDeleted,
    account_id as AccountId,
    true as IsClosed,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as CreatedDate,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    case
        when activity_type <> 'call' then null
        when outcome = 'inbound' then 'Inbound'
        else 'Outbound'
    end as CallType,
    case
        when activity_type <> 'call' then null
        when outcome = 'no_answer' then 'No Answer'
        else 'Connected'
    end as CallDisposition,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as CompletedDateTime,
    case activity_type when 'call' then 'Call' when 'email' then 'Email' else 'Task' end
        as TaskSubtype
from crm_activities
where activity_type in ('call', 'email', 'proposal')
