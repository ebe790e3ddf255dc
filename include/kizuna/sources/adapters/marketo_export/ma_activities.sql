-- Marketo Bulk Activity Extract rows as MA activities. The type is named by the types
-- table where delivered, else by Marketo's standard ids, and mapped by name (so custom
-- types can map) with kz_marketo_activity_type, shared with marketo_fivetran; the smart
-- campaign leads to its program, the contract's campaign.
with activity_rows as (
    select
        _file,
        _row_number,
        nullif(columns(* exclude (_file, _row_number)), 'null')
    from activities
),

standard_types (type_id, type_name) as (
    values
    ('1', 'Visit Webpage'), ('2', 'Fill Out Form'), ('3', 'Click Link'), ('6', 'Send Email'),
    ('7', 'Email Delivered'), ('8', 'Email Bounced'), ('9', 'Unsubscribe Email'),
    ('10', 'Open Email'), ('11', 'Click Email'), ('12', 'New Lead'),
    ('13', 'Change Data Value'), ('19', 'Sync Lead to SFDC'), ('21', 'Convert Lead'),
    ('22', 'Change Score'), ('23', 'Change Owner'), ('24', 'Add to List'),
    ('25', 'Remove from List'), ('26', 'SFDC Activity'), ('27', 'Email Bounced Soft'),
    ('32', 'Merge Leads'), ('34', 'Add to Opportunity'), ('37', 'Delete Lead'),
    ('38', 'Send Alert'), ('39', 'Send Sales Email'), ('40', 'Open Sales Email'),
    ('41', 'Click Sales Email'), ('46', 'Interesting Moment'), ('47', 'Request Campaign'),
    ('101', 'Change Revenue Stage'), ('104', 'Change Status in Progression'),
    ('110', 'Call Webhook'), ('113', 'Add to Nurture'), ('114', 'Change Nurture Track'),
    ('115', 'Change Nurture Cadence'), ('131', 'Fill Out Facebook Lead Ads Form'),
    ('145', 'Push Lead to Marketo'), ('147', 'Fill Out LinkedIn Lead Gen Form')
),

delivered_types as (
    select
        kz_trim(id) as type_id,
        arg_max(kz_trim(name), _interval) as type_name
    from activity_types_history
    where kz_trim(id) is not null
    group by 1
),

program_of_smart_campaign as (
    select
        kz_trim(id) as smart_campaign_id,
        arg_max(coalesce(kz_trim(parentprogramid),
                         case when try_cast(folder as json) ->> '$.type' = 'Program'
                             then coalesce(try_cast(folder as json) ->> '$.id',
                                           try_cast(folder as json) ->> '$.value') end),
                _interval)
            as program_id
    from smart_campaigns_history
    group by 1
),

program_channel as (
    select
        kz_trim(id) as program_id,
        arg_max(lower(kz_trim(channel)), _interval) as channel
    from programs_history
    group by 1
),

deleted_leads as (
    select kz_trim(leadid) as lead_id
    from deleted_leads_history
    union
    select kz_trim(leadid) as lead_id
    from activities_history
    where kz_trim(activitytypeid) = '37'
),

typed as (
    select
        a.*,
        coalesce(d.type_name, s.type_name) as type_name,
        -- the attributes come as one JSON object, or as [{"name": ..., "value": ...}]
        case
            when json_type(try_cast(a.attributes as json)) = 'ARRAY'
                then (select json_group_object(e ->> 'name', e -> 'value')
                      from (select unnest(json_extract(try_cast(a.attributes as json), '$[*]'))
                                as e))
            else try_cast(a.attributes as json)
        end as attrs
    from activity_rows as a
    left join delivered_types as d on kz_trim(a.activitytypeid) = d.type_id
    left join standard_types as s on kz_trim(a.activitytypeid) = s.type_id
),

kinds as (
    select
        t.*,
        c.program_id as smart_campaign_program_id,
        t.attrs ->> '$."New Status"' as new_status,
        kz_marketo_activity_type(t.type_name, t.attrs ->> '$."New Status"', p.channel)
            as activity_type
    from typed as t
    left join program_of_smart_campaign as c on kz_trim(t.campaignid) = c.smart_campaign_id
    left join program_channel as p on kz_trim(t.primaryattributevalueid) = p.program_id
)

select
    _file,
    _row_number,
    kz_trim(marketoguid) as activity_id,
    kz_trim(leadid) as lead_id,
    activity_type,
    kz_timestamp(activitydate) as occurred_at,
    case
        when kz_trim(activitytypeid) = '104' then kz_trim(primaryattributevalueid)
        else smart_campaign_program_id
    end as campaign_id,
    case
        when activity_type in ('email_send', 'email_open', 'email_click', 'web_visit',
                               'form_submit', 'unsubscribe')
            then kz_trim(primaryattributevalueid)
    end as asset_id,
    case lower(type_name)
        when 'visit webpage' then coalesce(attrs ->> '$."Webpage URL"', primaryattributevalue)
        when 'click link' then primaryattributevalue
        when 'click email' then attrs ->> '$."Link"'
        when 'fill out form' then attrs ->> '$."Referrer URL"'
        when 'unsubscribe email' then attrs ->> '$."Referrer URL"'
    end as url,
    case
        when kz_trim(leadid) in (select d.lead_id from deleted_leads as d)
            then 'lead deleted in Marketo'
        when type_name is null
            then 'activity type ' || coalesce(kz_trim(activitytypeid), 'NULL')
                || ' is neither a standard type nor in the activity types table'
        when activity_type is null and kz_trim(activitytypeid) = '104'
            then 'program status ' || coalesce(new_status, 'NULL')
                || ' has no contract activity type'
        when activity_type is null then type_name || ' has no contract activity type'
        when lower(actionresult) in ('skipped', 'failed')
            then 'action ' || lower(actionresult) || ' in Marketo'
        when kz_trim(leadid) is null then 'no lead id'
    end as _excluded
from kinds
