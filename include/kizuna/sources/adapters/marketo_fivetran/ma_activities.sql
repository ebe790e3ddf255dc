-- Fivetran's Marketo activity tables (one per activity type, custom ones included) stacked
-- as MA activities, each type mapped by its name with kz_marketo_activity_type (shared
-- with marketo_export). The smart campaign (campaign_id) leads to its program, the
-- contract's campaign; a program status change counts as event registration/attendance or
-- a content download.
with stacked as (
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        action_result as action_result,
        'Send Email' as type_name,
        coalesce(email_template_id, primary_attribute_value_id) as asset_id,
        null as url,
        null as new_status
    from activity_send_email
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Email Delivered' as type_name,
        coalesce(email_template_id, primary_attribute_value_id) as asset_id,
        null as url,
        null as new_status
    from activity_email_delivered
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Open Email' as type_name,
        coalesce(email_template_id, primary_attribute_value_id) as asset_id,
        null as url,
        null as new_status
    from activity_open_email
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Click Email' as type_name,
        coalesce(email_template_id, primary_attribute_value_id) as asset_id,
        link as url,
        null as new_status
    from activity_click_email
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Email Bounced' as type_name,
        coalesce(email_template_id, primary_attribute_value_id) as asset_id,
        null as url,
        null as new_status
    from activity_email_bounced
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Unsubscribe Email' as type_name,
        coalesce(email_template_id, primary_attribute_value_id) as asset_id,
        referrer_url as url,
        null as new_status
    from activity_unsubscribe_email
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Visit Webpage' as type_name,
        coalesce(webpage_id, primary_attribute_value_id) as asset_id,
        coalesce(webpage_url, primary_attribute_value) as url,
        null as new_status
    from activity_visit_webpage
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Fill Out Form' as type_name,
        coalesce(webform_id, primary_attribute_value_id) as asset_id,
        referrer_url as url,
        null as new_status
    from activity_fill_out_form
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Click Link' as type_name,
        coalesce(link_id, primary_attribute_value_id) as asset_id,
        coalesce(link, primary_attribute_value) as url,
        null as new_status
    from activity_click_link
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        -- the status belongs to a program: the primary attribute
        primary_attribute_value_id as campaign_id,
        null as action_result,
        'Change Status in Progression' as type_name,
        null as asset_id,
        null as url,
        new_status
    from activity_change_status_in_progression
    -- custom activity types a team defines: Fivetran lands each as activity_<name>
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Download Content' as type_name,
        primary_attribute_value_id as asset_id,
        null as url,
        null as new_status
    from activity_download_content
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Scan Business Card' as type_name,
        primary_attribute_value_id as asset_id,
        null as url,
        null as new_status
    from activity_scan_business_card
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Register for Event' as type_name,
        primary_attribute_value_id as asset_id,
        null as url,
        null as new_status
    from activity_register_for_event
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        'Attend Event' as type_name,
        primary_attribute_value_id as asset_id,
        null as url,
        null as new_status
    from activity_attend_event
    union all
    select
        _file,
        _row_number,
        id,
        lead_id,
        activity_date,
        campaign_id,
        null as action_result,
        activity_type_name as type_name,
        primary_attribute_value_id as asset_id,
        null as url,
        null as new_status
    from activity_custom
),

program_of_smart_campaign as (
    select
        kz_trim(id) as smart_campaign_id,
        arg_max(kz_trim(program_id), _interval) as program_id
    from campaign_history
    group by 1
),

program_channel as (
    select
        kz_trim(id) as program_id,
        arg_max(lower(kz_trim(channel)), _interval) as channel
    from program_history
    group by 1
),

deleted_leads as (
    select kz_trim(lead_id) as lead_id
    from activity_delete_lead_history
    union
    select kz_trim(id) as lead_id
    from lead_history
    where kz_bool(_fivetran_deleted) = 'true'
),

resolved as (
    select
        s._file,
        s._row_number,
        s.id,
        s.lead_id,
        s.activity_date,
        s.action_result,
        s.type_name,
        s.asset_id,
        s.url,
        kz_trim(s.new_status) as new_status,
        case
            when s.type_name = 'Change Status in Progression' then kz_trim(s.campaign_id)
            else c.program_id
        end as program_id,
        kz_marketo_activity_type(s.type_name, s.new_status, p.channel) as activity_type
    from stacked as s
    left join program_of_smart_campaign as c on kz_trim(s.campaign_id) = c.smart_campaign_id
    left join program_channel as p on kz_trim(s.campaign_id) = p.program_id
)

select
    _file,
    _row_number,
    kz_trim(id) as activity_id,
    kz_trim(lead_id) as lead_id,
    activity_type,
    kz_timestamp(activity_date) as occurred_at,
    program_id as campaign_id,
    kz_trim(asset_id) as asset_id,
    kz_trim(url) as url,
    case
        when kz_trim(lead_id) in (select d.lead_id from deleted_leads as d)
            then 'lead deleted in Marketo'
        when activity_type is null and type_name = 'Change Status in Progression'
            then 'program status ' || coalesce(new_status, 'NULL')
                || ' has no contract activity type'
        when activity_type is null
            then coalesce(type_name, 'an unnamed activity type')
                || ' has no contract activity type'
        when lower(kz_trim(action_result)) in ('skipped', 'failed')
            then 'action ' || lower(kz_trim(action_result)) || ' in Marketo'
        when kz_trim(lead_id) is null then 'no lead id'
    end as _excluded
from resolved
