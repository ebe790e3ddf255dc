-- HubSpot contacts with a company are that company's CRM contacts: the primary association
-- where the export names it, else the first of "Associated Company IDs" (';'-separated).
with contacts_linked as (
    select
        *,
        coalesce(
            kz_trim("associated_company_ids_(primary)"),
            kz_trim(primary_associated_company_id),
            kz_trim(split_part(associated_company_ids, ';', 1))
        ) as company_id
    from contacts
)

select
    _file,
    _row_number,
    kz_trim(record_id) as contact_id,
    company_id as account_id,
    kz_trim(email) as email,
    kz_trim(last_name) as last_name,
    kz_trim(first_name) as first_name,
    kz_trim(department) as department,
    kz_trim(job_title) as title,
    case regexp_replace(lower(kz_trim(buying_role)), '[\s_\-]', '', 'g')
        when 'decisionmaker' then 'decision_maker'
        when 'budgetholder' then 'economic_buyer'
        when 'executivesponsor' then 'economic_buyer'
        when 'champion' then 'champion'
        when 'influencer' then 'influencer'
        when 'enduser' then 'user'
    end as buying_role,
    coalesce(kz_timestamp(last_modified_date), kz_timestamp(create_date)) as updated_at,
    case
        when kz_trim(record_id) is null then 'no Record ID'
        when company_id is null then 'no associated company: a lead only, not a CRM contact'
        when kz_trim(last_modified_date) is null and kz_trim(create_date) is null
            then 'no Create Date or Last Modified Date'
    end as _excluded
from contacts_linked
