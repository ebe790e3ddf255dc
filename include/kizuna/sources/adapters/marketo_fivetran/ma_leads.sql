-- Fivetran's Marketo lead table as MA leads. A lead deleted in Marketo (_fivetran_deleted,
-- or a Delete Lead activity) or merged into another (its id in a Merge Leads activity's
-- merge_ids) is left out. lead_source is free text (mapped by kz_marketo_lead_source, shared
-- with marketo_export); original_source_type the fallback.
with deleted_leads as (
    select distinct kz_trim(lead_id) as lead_id
    from activity_delete_lead_history
),

merged_leads as (
    -- Merge Leads is logged on the surviving lead; merge_ids names the others
    select distinct unnest(regexp_extract_all(coalesce(merge_ids, ''), '[0-9]+')) as lead_id
    from activity_merge_leads_history
),

sources as (
    select
        *,
        coalesce(kz_trim(lead_source), kz_trim(original_source_type)) as source_text
    from lead
)

select
    _file,
    _row_number,
    kz_trim(id) as lead_id,
    kz_trim(email) as email,
    last_name,
    first_name,
    coalesce(kz_trim(company), kz_trim(inferred_company)) as company_name,
    department,
    title as job_title,
    coalesce(kz_trim(phone), kz_trim(mobile_phone), kz_trim(main_phone)) as phone,
    kz_marketo_lead_source(source_text) as lead_source,
    kz_bool(unsubscribed) as opt_out,
    kz_timestamp(created_at) as created_at,
    coalesce(kz_timestamp(updated_at), kz_timestamp(created_at), kz_timestamp(_fivetran_synced))
        as updated_at,
    case
        when kz_trim(id) is null then 'no lead id'
        when kz_bool(_fivetran_deleted) = 'true' then 'deleted in Marketo'
        when kz_trim(id) in (select d.lead_id from deleted_leads as d)
            then 'deleted in Marketo (Delete Lead activity)'
        when kz_trim(id) in (select m.lead_id from merged_leads as m)
            then 'merged into another lead in Marketo'
    end as _excluded
from sources
