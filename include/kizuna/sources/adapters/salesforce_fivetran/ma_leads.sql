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
        last_name,
        first_name,
        company as company_name,
        null as department,
        title,
        coalesce(kz_trim(phone), kz_trim(mobile_phone)) as phone,
        lead_source,
        has_opted_out_of_email,
        created_date,
        last_modified_date,
        system_modstamp,
        is_deleted,
        _fivetran_deleted,
        master_record_id,
        is_converted
    from lead
    union all
    select
        c._file,
        c._row_number,
        c.id,
        c.email,
        c.last_name,
        c.first_name,
        a.account_name as company_name,
        c.department,
        c.title,
        coalesce(kz_trim(c.phone), kz_trim(c.mobile_phone)) as phone,
        c.lead_source,
        c.has_opted_out_of_email,
        c.created_date,
        c.last_modified_date,
        c.system_modstamp,
        c.is_deleted,
        c._fivetran_deleted,
        c.master_record_id,
        null as is_converted
    from contact as c
    left join accounts as a on c.account_id = a.id
)

select
    _file,
    _row_number,
    id as lead_id,
    kz_trim(email) as email,
    kz_trim(last_name) as last_name,
    kz_trim(first_name) as first_name,
    kz_trim(company_name) as company_name,
    kz_trim(department) as department,
    kz_trim(title) as job_title,
    phone,
    case
        when lower(kz_trim(lead_source)) in (
            'web', 'website', 'web form', 'web site', 'webform', 'inbound', 'web inquiry',
            'ウェブ', 'webサイト', 'web問い合わせ', '問い合わせ'
        ) then 'web_form'
        when lower(kz_trim(lead_source)) in (
            'trade show', 'seminar', 'event', 'conference', 'webinar', 'exhibition',
            '展示会', 'セミナー', 'イベント', 'ウェビナー'
        ) then 'event'
        when lower(kz_trim(lead_source)) in (
            'business card', 'card scan', 'sansan', 'eight', '名刺', '名刺交換'
        ) then 'business_card'
        when lower(kz_trim(lead_source)) in (
            'purchased list', 'list import', 'import', 'data.com', 'list', 'リスト購入',
            'リスト'
        ) then 'import'
    end as lead_source,
    kz_bool(has_opted_out_of_email) as opt_out,
    kz_timestamp(created_date) as created_at,
    coalesce(kz_timestamp(system_modstamp), kz_timestamp(last_modified_date),
             kz_timestamp(created_date)) as updated_at,
    case
        when (kz_bool(is_deleted) = 'true'
            or kz_bool(_fivetran_deleted) = 'true') and kz_trim(master_record_id) is not null
            then 'merged into another record in Salesforce'
        when (kz_bool(is_deleted) = 'true'
            or kz_bool(_fivetran_deleted) = 'true') then 'deleted in Salesforce'
        when kz_bool(is_converted) = 'true'
            then 'converted lead: the person continues as its contact'
    end as _excluded
from people
