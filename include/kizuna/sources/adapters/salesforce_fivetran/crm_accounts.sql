-- Salesforce accounts as CRM accounts. The owner is the owning user's name (the user
-- object, when delivered); the domain comes from Website. Recycle-bin rows, accounts
-- merged into another and person accounts (consumers, not companies) are left out.
with users as (
    select
        id,
        coalesce(kz_trim(name), kz_trim(concat_ws(' ', first_name, last_name))) as user_name
    from user_history
    qualify row_number() over (partition by id order by _interval desc, _row_number desc) = 1
)

select
    a._file,
    a._row_number,
    a.id as account_id,
    kz_trim(a.name) as account_name,
    kz_trim(a.corporate_number_c) as corporate_number,
    nullif(
        regexp_replace(
            regexp_replace(lower(kz_trim(a.website)), '^[a-z]+://', ''),
            '^www\.|[/?#:].*$', '', 'g'),
        '') as domain,
    kz_trim(a.industry) as industry,
    coalesce(u.user_name, kz_trim(a.owner_id)) as owner,
    case regexp_replace(lower(kz_trim(a.abm_tier_c)), '[^a-z0-9]', '', 'g')
        when 'tier1' then 'tier_1'
        when '1' then 'tier_1'
        when 't1' then 'tier_1'
        when 'tier2' then 'tier_2'
        when '2' then 'tier_2'
        when 't2' then 'tier_2'
        when 'tier3' then 'tier_3'
        when '3' then 'tier_3'
        when 't3' then 'tier_3'
    end as abm_tier,
    kz_timestamp(a.created_date) as created_at,
    coalesce(kz_timestamp(a.system_modstamp), kz_timestamp(a.last_modified_date),
             kz_timestamp(a.created_date)) as updated_at,
    case
        when (kz_bool(a.is_deleted) = 'true'
            or kz_bool(a._fivetran_deleted) = 'true') and kz_trim(a.master_record_id) is not null
            then 'merged into another account in Salesforce'
        when (kz_bool(a.is_deleted) = 'true'
            or kz_bool(a._fivetran_deleted) = 'true') then 'deleted in Salesforce'
        when kz_bool(a.is_person_account) = 'true'
            then 'person account: a consumer, not a company'
    end as _excluded
from account as a
left join users as u on a.owner_id = u.id
