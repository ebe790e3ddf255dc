-- Meetings as events of an hour; declined and no-show meetings are events all the same.
select
    _day,
    activity_id as Id,
    contact_id as WhoId,
    account_id as WhatId,
    '打ち合わせ' as Subject,
    false as IsAllDayEvent,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as ActivityDateTime,
    strftime(occurred_at, '%Y-%m-%d') as ActivityDate,
    60 as DurationInMinutes,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as StartDateTime,
    strftime(occurred_at + interval 1 hour, '%Y-%m-%dT%H:%M:%S.%gZ') as EndDateTime,
    account_id as AccountId,
    'Meeting' as Type,
    false as IsDeleted,
    false as IsChild,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as CreatedDate,
    strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    'Event' as EventSubtype
from crm_activities
where activity_type = 'meeting'
