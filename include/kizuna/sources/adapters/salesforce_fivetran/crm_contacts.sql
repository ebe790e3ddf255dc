-- Salesforce contacts as CRM contacts. Contacts carry no buying role of their own: it is
-- the role they hold on opportunities (OpportunityContactRole), the primary or latest one.
with roles as (
    select
        contact_id,
        role
    from opportunity_contact_role_history
    where kz_bool(is_deleted) is distinct from 'true'
        and kz_bool(_fivetran_deleted) is distinct from 'true'
        and kz_trim(role) is not null
    qualify row_number() over (
        partition by contact_id
        order by kz_bool(is_primary) = 'true' desc,
            coalesce(kz_timestamp(system_modstamp), kz_timestamp(created_date)) desc nulls last,
            _interval desc
    ) = 1
)

select
    c._file,
    c._row_number,
    c.id as contact_id,
    kz_trim(c.account_id) as account_id,
    kz_trim(c.email) as email,
    kz_trim(c.last_name) as last_name,
    kz_trim(c.first_name) as first_name,
    kz_trim(c.department) as department,
    kz_trim(c.title) as title,
    case
        when lower(r.role) in ('decision maker', 'executive sponsor', '意思決定者', '決裁者')
            then 'decision_maker'
        when lower(r.role) in ('economic buyer', 'economic decision maker', '予算責任者')
            then 'economic_buyer'
        when lower(r.role) in ('champion', 'business sponsor', '推進者')
            then 'champion'
        when lower(r.role) in ('influencer', 'evaluator', 'technical buyer', '影響者', '評価者')
            then 'influencer'
        when lower(r.role) in ('business user', 'user', 'end user', '利用者')
            then 'user'
    end as buying_role,
    coalesce(kz_timestamp(c.system_modstamp), kz_timestamp(c.last_modified_date),
             kz_timestamp(c.created_date)) as updated_at,
    case
        when (kz_bool(c.is_deleted) = 'true'
            or kz_bool(c._fivetran_deleted) = 'true') and kz_trim(c.master_record_id) is not null
            then 'merged into another contact in Salesforce'
        when (kz_bool(c.is_deleted) = 'true'
            or kz_bool(c._fivetran_deleted) = 'true') then 'deleted in Salesforce'
    end as _excluded
from contact as c
left join roles as r on c.id = r.contact_id
