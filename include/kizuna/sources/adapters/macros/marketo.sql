-- Marketo's values in the contract's words, for every Marketo shape (marketo_export,
-- marketo_fivetran): one map each, so the shapes read the same instance the same way.

-- A lead's source (its leadSource, else its originalSourceType: free text per instance)
-- as a contract lead_source; anything else passes through, so the gate names the value
-- instead of the adapter hiding it.
create or replace macro kz_marketo_lead_source(source) as case
    when kz_trim(source) is null then null
    when regexp_matches(lower(kz_trim(source)), 'business card|card scan|名刺|sansan')
        then 'business_card'
    when regexp_matches(
        lower(kz_trim(source)),
        'trade ?show|event|seminar|webinar|conference|exhibition|展示会|セミナー|イベント'
    ) then 'event'
    when regexp_matches(
        lower(kz_trim(source)),
        'import|list|upload|purchased|salesforce|sfdc|crm|web service api'
    ) then 'import'
    when regexp_matches(
        lower(kz_trim(source)),
        'web|site|form|search|organic|social|email|landing|inbound|ウェブ|フォーム'
    ) then 'web_form'
    else kz_trim(source)
end;

-- A program's channel (free text per instance; Marketo's defaults are Webinar, Tradeshow,
-- Email Send, Content Syndication, Online Advertising ...) as a contract channel, else by
-- the program's type; an unknown channel passes through in lower case.
create or replace macro kz_marketo_channel(channel, program_type) as case
    when regexp_matches(lower(kz_trim(channel)), 'webinar|virtual|online event|ウェビナー')
        then 'webinar'
    when regexp_matches(lower(kz_trim(channel)), 'seminar|roadshow|workshop|セミナー')
        then 'seminar'
    when regexp_matches(
        lower(kz_trim(channel)),
        'trade ?show|event|conference|exhibition|field|展示会'
    ) then 'event'
    when regexp_matches(lower(kz_trim(channel)), 'email|e-mail|nurture|newsletter|メール')
        then 'email'
    when regexp_matches(
        lower(kz_trim(channel)),
        'content|whitepaper|syndication|download|コンテンツ'
    ) then 'content'
    when regexp_matches(
        lower(kz_trim(channel)),
        'advertis|paid|ppc|sem|display|social|retarget|広告'
    ) then 'ads'
    when lower(kz_trim(program_type)) in ('event with webinar', 'webinar') then 'webinar'
    when lower(kz_trim(program_type)) = 'event' then 'event'
    when lower(kz_trim(program_type)) in ('email', 'nurture', 'engagement') then 'email'
    else lower(kz_trim(channel))
end;

-- An activity type, by its name (standard or a custom type a team defines), as a contract
-- activity type; NULL for one the contract has no place for (Email Delivered, Change
-- Score ...). A program status change counts by its new status: registered / attended
-- (events), engaged in a content program (a download).
create or replace macro kz_marketo_activity_type(type_name, new_status, program_channel) as
case lower(kz_trim(type_name))
    when 'visit webpage' then 'web_visit'
    when 'click link' then 'web_visit'
    when 'fill out form' then 'form_submit'
    when 'fill out facebook lead ads form' then 'form_submit'
    when 'fill out linkedin lead gen form' then 'form_submit'
    when 'fill out linked lead gen form' then 'form_submit'
    when 'send email' then 'email_send'
    when 'open email' then 'email_open'
    when 'click email' then 'email_click'
    when 'unsubscribe email' then 'unsubscribe'
    -- custom activity types a team may define
    when 'download content' then 'content_download'
    when 'content download' then 'content_download'
    when 'register for event' then 'event_registration'
    when 'attend event' then 'event_attendance'
    when 'scan business card' then 'business_card_scan'
    when 'business card scan' then 'business_card_scan'
    when 'change status in progression' then case
        when lower(kz_trim(new_status)) = 'registered' then 'event_registration'
        when lower(kz_trim(new_status)) in ('attended', 'attended on-demand')
            then 'event_attendance'
        when lower(kz_trim(new_status)) = 'engaged' and lower(program_channel) like '%content%'
            then 'content_download'
    end
end;
