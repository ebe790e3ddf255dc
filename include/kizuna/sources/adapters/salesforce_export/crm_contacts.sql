-- Salesforce contacts as CRM contacts. Contacts carry no buying role of their own: it is
-- the role they hold on opportunities (OpportunityContactRole), the primary or latest one.
with roles as (
    select
        contactid,
        role
    from opportunitycontactrole_history
    where kz_bool(isdeleted) is distinct from 'true'
        and kz_trim(role) is not null
    qualify row_number() over (
        partition by contactid
        order by kz_bool(isprimary) = 'true' desc,
            coalesce(kz_timestamp(systemmodstamp), kz_timestamp(createddate)) desc nulls last,
            _interval desc
    ) = 1
)

select
    c._file,
    c._row_number,
    c.id as contact_id,
    kz_trim(c.accountid) as account_id,
    kz_trim(c.email) as email,
    kz_trim(c.lastname) as last_name,
    kz_trim(c.firstname) as first_name,
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
    coalesce(kz_timestamp(c.systemmodstamp), kz_timestamp(c.lastmodifieddate),
             kz_timestamp(c.createddate)) as updated_at,
    case
        when kz_bool(c.isdeleted) = 'true' and kz_trim(c.masterrecordid) is not null
            then 'merged into another contact in Salesforce'
        when kz_bool(c.isdeleted) = 'true' then 'deleted in Salesforce'
    end as _excluded
from contact as c
left join roles as r on c.id = r.contactid
