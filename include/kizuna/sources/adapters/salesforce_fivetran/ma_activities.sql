-- Salesforce campaign members as MA activities. Status (and HasResponded) says what the
-- person did, the campaign's Type in which channel: registered/attended for events and
-- webinars, sent/opened/clicked for e-mails, a response elsewhere is a form (a download
-- for content). The person is ContactId, else the lead or the contact it became.
with campaigns as (
    select
        id,
        case
            when lower(kz_trim(type)) similar to '.*(webinar|ウェビナー|オンラインセミナー).*'
                then 'webinar'
            when lower(kz_trim(type)) similar to '.*(seminar|セミナー|workshop).*'
                then 'seminar'
            when lower(kz_trim(type)) similar to
                '.*(conference|trade ?show|event|exhibition|展示会|イベント|カンファレンス).*'
                then 'event'
            when lower(kz_trim(type)) similar to '.*(e-?mail|newsletter|メール|メルマガ).*'
                then 'email'
            when lower(kz_trim(type)) similar to
                '.*(content|white ?paper|ebook|e-book|download|ホワイトペーパー|資料).*'
                then 'content'
            else 'other'
        end as channel
    from campaign_history
    qualify row_number() over (partition by id order by _interval desc, _row_number desc) = 1
),

converted_leads as (
    select
        id,
        converted_contact_id
    from lead_history
    where kz_bool(is_converted) = 'true' and kz_trim(converted_contact_id) is not null
    qualify row_number() over (partition by id order by _interval desc, _row_number desc) = 1
),

members as (
    select
        m._file,
        m._row_number,
        m.id,
        m.campaign_id,
        coalesce(kz_trim(m.contact_id), l.converted_contact_id, kz_trim(m.lead_id)) as person_id,
        c.channel,
        lower(kz_trim(m.status)) as status_text,
        case
            when lower(kz_trim(m.status)) similar to '.*(no.?show|欠席|不参加).*' then 'no_show'
            when lower(kz_trim(m.status)) similar to '.*(attend|参加|出席|来場|視聴).*'
                then 'attended'
            when lower(kz_trim(m.status)) similar to '.*(regist|accept|申込|申し込み|登録).*'
                then 'registered'
            when lower(kz_trim(m.status)) similar to '.*(click|クリック).*' then 'clicked'
            when lower(kz_trim(m.status)) similar to '.*(open|開封).*' then 'opened'
            when kz_bool(m.has_responded) = 'true'
                or lower(kz_trim(m.status)) similar to '.*(respond|レスポンス|回答|download).*'
                then 'responded'
            when lower(kz_trim(m.status)) similar to '.*(sent|送信|配信|invit|招待|planned).*'
                then 'sent'
        end as status_kind,
        kz_timestamp(m.created_date) as joined_at,
        coalesce(kz_timestamp(m.first_responded_date), kz_timestamp(m.last_modified_date),
                 kz_timestamp(m.created_date)) as responded_at,
        m.is_deleted,
        m._fivetran_deleted
    from campaign_member as m
    left join campaigns as c on m.campaign_id = c.id
    left join converted_leads as l on m.lead_id = l.id
),

-- what each member did, as (suffix, activity type, when): an event's attendee registered
-- and attended, an e-mail opened or clicked was sent, so such a row feeds two activities
actions as (
    select
        *,
        case
            when channel in ('event', 'seminar', 'webinar')
                and status_kind in ('registered', 'attended', 'no_show', 'responded', 'clicked')
                then [{'suffix': 'registration', 'type': 'event_registration', 'at': joined_at}]
                    || case
                        when status_kind in ('attended', 'responded') then [
                            {'suffix': 'attendance', 'type': 'event_attendance',
                             'at': responded_at}]
                        else []
                    end
            when channel = 'email' and status_kind in ('sent', 'opened', 'clicked')
                then [{'suffix': 'send', 'type': 'email_send', 'at': joined_at}]
                    || case status_kind
                        when 'opened' then [
                            {'suffix': 'open', 'type': 'email_open', 'at': responded_at}]
                        when 'clicked' then [
                            {'suffix': 'click', 'type': 'email_click', 'at': responded_at}]
                        else []
                    end
            when channel = 'content'
                and status_kind in ('responded', 'clicked', 'registered', 'attended')
                then [{'suffix': 'download', 'type': 'content_download', 'at': responded_at}]
            when status_kind in ('responded', 'clicked', 'registered', 'attended')
                then [{'suffix': 'response', 'type': 'form_submit', 'at': responded_at}]
            else []
        end as done,
        case
            when (kz_bool(is_deleted) = 'true'
            or kz_bool(_fivetran_deleted) = 'true') then 'deleted in Salesforce'
            when person_id is null then 'campaign member names neither a lead nor a contact'
            when channel is null then 'campaign not delivered: its type is unknown'
        end as reason
    from members
),

mapped as (
    select
        a._file,
        a._row_number,
        a.id || ':' || d.suffix as activity_id,
        a.person_id as lead_id,
        d.type as activity_type,
        d.at as occurred_at,
        a.campaign_id as campaign_id,
        null as _excluded
    from actions as a, unnest(a.done) as u (d)
    where a.reason is null
)

select * from mapped
union all by name
select
    _file,
    _row_number,
    id as activity_id,
    person_id as lead_id,
    null as activity_type,
    null as occurred_at,
    campaign_id as campaign_id,
    coalesce(
        reason,
        'member status ' || coalesce(status_text, 'none') || ' (' || channel
            || ' campaign): no response to record'
    ) as _excluded
from actions
where reason is not null or len(done) = 0
