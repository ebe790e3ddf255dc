-- Marketo Bulk Lead Extract rows as MA leads (the text null is an empty field). A lead
-- deleted in Marketo (Get Deleted Leads, or a Delete Lead activity) or merged into another
-- lead is left out. leadSource is free text (mapped by kz_marketo_lead_source, shared with
-- marketo_fivetran); Marketo's originalSourceType is the fallback.
with lead_rows as (
    select
        _file,
        _row_number,
        nullif(columns(* exclude (_file, _row_number)), 'null')
    from leads
),

deleted_leads as (
    select kz_trim(leadid) as lead_id
    from deleted_leads_history
    union
    select kz_trim(leadid) as lead_id
    from activities_history
    where kz_trim(activitytypeid) = '37'
),

merge_activities as (
    -- Merge Leads (32) is logged on the surviving lead; "Merge IDs" names the others.
    select
        kz_trim(leadid) as survivor_id,
        try_cast(attributes as json) as attrs
    from activities_history
    where kz_trim(activitytypeid) = '32'
),

merged_leads as (
    select
        unnest(regexp_extract_all(coalesce(
            case when json_type(attrs) = 'OBJECT' then attrs ->> '$."Merge IDs"' end,
            (select any_value(e ->> 'value')
             from (select unnest(json_extract(attrs, '$[*]')) as e)
             where e ->> 'name' = 'Merge IDs'),
            ''), '[0-9]+')) as lead_id,
        survivor_id
    from merge_activities
),

sources as (
    select
        *,
        coalesce(kz_trim(leadsource), kz_trim(originalsourcetype)) as source_text
    from lead_rows
)

select
    s._file,
    s._row_number,
    kz_trim(s.id) as lead_id,
    kz_trim(s.email) as email,
    s.lastname as last_name,
    s.firstname as first_name,
    s.company as company_name,
    s.department,
    s.title as job_title,
    coalesce(kz_trim(s.phone), kz_trim(s.mobilephone), kz_trim(s.mainphone)) as phone,
    kz_marketo_lead_source(s.source_text) as lead_source,
    kz_bool(s.unsubscribed) as opt_out,
    kz_timestamp(s.createdat) as created_at,
    coalesce(kz_timestamp(s.updatedat), kz_timestamp(s.createdat)) as updated_at,
    case
        when kz_trim(s.id) is null then 'no lead id'
        when kz_trim(s.id) in (select d.lead_id from deleted_leads as d) then 'deleted in Marketo'
        when kz_trim(s.id) in (select m.lead_id from merged_leads as m)
            then 'merged into another lead in Marketo'
    end as _excluded
from sources as s
