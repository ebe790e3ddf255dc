-- Salesforce leads and contacts as MA leads: campaigns reach both, and campaign members
-- name either. A converted lead is left out: the person continues as the contact it
-- became (ConvertedContactId), whose campaign history Salesforce moves onto the contact.
with accounts as (
    select
        id,
        kz_trim(name) as account_name
    from account_history
    qualify row_number() over (partition by id order by _interval desc, _row_number desc) = 1
),

people as (
    select
        _file,
        _row_number,
        id,
        email,
        lastname,
        firstname,
        company as company_name,
        null as department,
        title,
        coalesce(kz_trim(phone), kz_trim(mobilephone)) as phone,
        leadsource,
        hasoptedoutofemail,
        createddate,
        lastmodifieddate,
        systemmodstamp,
        isdeleted,
        masterrecordid,
        isconverted
    from lead
    union all
    select
        c._file,
        c._row_number,
        c.id,
        c.email,
        c.lastname,
        c.firstname,
        a.account_name as company_name,
        c.department,
        c.title,
        coalesce(kz_trim(c.phone), kz_trim(c.mobilephone)) as phone,
        c.leadsource,
        c.hasoptedoutofemail,
        c.createddate,
        c.lastmodifieddate,
        c.systemmodstamp,
        c.isdeleted,
        c.masterrecordid,
        null as isconverted
    from contact as c
    left join accounts as a on c.accountid = a.id
)

select
    _file,
    _row_number,
    id as lead_id,
    kz_trim(email) as email,
    kz_trim(lastname) as last_name,
    kz_trim(firstname) as first_name,
    kz_trim(company_name) as company_name,
    kz_trim(department) as department,
    kz_trim(title) as job_title,
    phone,
    case
        when lower(kz_trim(leadsource)) in (
            'web', 'website', 'web form', 'web site', 'webform', 'inbound', 'web inquiry',
            'ウェブ', 'webサイト', 'web問い合わせ', '問い合わせ'
        ) then 'web_form'
        when lower(kz_trim(leadsource)) in (
            'trade show', 'seminar', 'event', 'conference', 'webinar', 'exhibition',
            '展示会', 'セミナー', 'イベント', 'ウェビナー'
        ) then 'event'
        when lower(kz_trim(leadsource)) in (
            'business card', 'card scan', 'sansan', 'eight', '名刺', '名刺交換'
        ) then 'business_card'
        when lower(kz_trim(leadsource)) in (
            'purchased list', 'list import', 'import', 'data.com', 'list', 'リスト購入',
            'リスト'
        ) then 'import'
    end as lead_source,
    kz_bool(hasoptedoutofemail) as opt_out,
    kz_timestamp(createddate) as created_at,
    coalesce(kz_timestamp(systemmodstamp), kz_timestamp(lastmodifieddate),
             kz_timestamp(createddate)) as updated_at,
    case
        when kz_bool(isdeleted) = 'true' and kz_trim(masterrecordid) is not null
            then 'merged into another record in Salesforce'
        when kz_bool(isdeleted) = 'true' then 'deleted in Salesforce'
        when kz_bool(isconverted) = 'true'
            then 'converted lead: the person continues as its contact'
    end as _excluded
from people
