-- Salesforce tasks and events stacked as CRM activities. The type comes from TaskSubtype
-- or Type (a proposal from the subject); the contact is WhoId when it is a contact (003
-- prefix, or a contact delivered so far; not a lead's 00Q); the account is AccountId, else
-- WhatId's account or opportunity.
-- (Fivetran's opportunity_history table is OpportunityHistory: every sync's opportunities
-- are opportunity__history.)
with known_contacts as (
    select distinct id as contact_id
    from contact__history
),

opportunity_accounts as (
    select
        id,
        account_id
    from opportunity__history
    qualify row_number() over (partition by id order by _interval desc, _row_number desc) = 1
),

activities as (
    select
        _file,
        _row_number,
        id,
        'task' as object,
        lower(kz_trim(task_subtype)) as subtype,
        lower(kz_trim(type)) as type_name,
        lower(kz_trim(subject)) as subject_text,
        coalesce(kz_timestamp(completed_date_time), kz_timestamp(activity_date),
                 kz_timestamp(created_date)) as occurred_at,
        kz_bool(is_closed) = 'true' or lower(kz_trim(status)) in ('completed', '完了')
            as is_done,
        lower(kz_trim(call_type)) as call_type,
        lower(kz_trim(call_disposition)) as call_disposition,
        who_id,
        what_id,
        account_id,
        is_deleted,
        _fivetran_deleted,
        false as is_child
    from task
    union all
    select
        _file,
        _row_number,
        id,
        'event' as object,
        lower(kz_trim(event_subtype)) as subtype,
        lower(kz_trim(type)) as type_name,
        lower(kz_trim(subject)) as subject_text,
        case
            when kz_bool(is_all_day_event) = 'true' then kz_timestamp(activity_date)
            else coalesce(kz_timestamp(start_date_time), kz_timestamp(activity_date_time),
                          kz_timestamp(activity_date))
        end as occurred_at,
        true as is_done,
        null as call_type,
        null as call_disposition,
        who_id,
        what_id,
        account_id,
        is_deleted,
        _fivetran_deleted,
        kz_bool(is_child) = 'true' as is_child
    from event
),

typed as (
    select
        *,
        case
            when subject_text similar to '.*(proposal|quote|提案|見積).*'
                or type_name similar to '.*(proposal|quote|提案|見積).*' then 'proposal'
            when subtype = 'call' or type_name similar to '.*(call|phone|電話).*' then 'call'
            when subtype in ('email', 'listemail') or type_name similar to '.*(e-?mail|メール).*'
                or subject_text like 'email:%' then 'email'
            when object = 'event' or type_name similar to '.*(meeting|visit|商談|訪問|面談).*'
                then 'meeting'
        end as activity_type
    from activities
)

select
    t._file,
    t._row_number,
    t.id as activity_id,
    coalesce(
        kz_trim(t.account_id),
        case when t.what_id like '001%' then t.what_id end,
        case when t.what_id like '006%' then o.account_id end
    ) as account_id,
    case when t.who_id like '003%' or k.contact_id is not null then t.who_id end as contact_id,
    t.activity_type,
    t.occurred_at,
    case
        when t.activity_type = 'email' then 'sent'
        when t.call_type = 'inbound' then 'inbound'
        when t.call_disposition similar to '.*(no answer|voicemail|不在|留守).*' then 'no_answer'
        else 'completed'
    end as outcome,
    case
        when (kz_bool(t.is_deleted) = 'true'
            or kz_bool(t._fivetran_deleted) = 'true') then 'deleted in Salesforce'
        when t.is_child
            then 'invitee copy of a group event (the organiser''s event is kept)'
        when t.activity_type is null
            then 'a ' || t.object || ' of type ' || coalesce(t.type_name, t.subtype, 'none')
                || ': no call, e-mail, meeting or proposal'
        when not t.is_done then 'open task: not done yet'
        when t.occurred_at is null then 'no date the activity took place'
    end as _excluded
from typed as t
left join opportunity_accounts as o on t.what_id = o.id
left join known_contacts as k on t.who_id = k.contact_id
