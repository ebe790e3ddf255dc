-- The customer list: one row per lead version that has an e-mail address (SATORI's
-- customers without one are anonymous web visitors), times in JST as the screen shows them.
select
    _day,
    lead_id as "カスタマーID",
    email as "メールアドレス",
    last_name as "苗字",
    first_name as "名前",
    company_name as "会社名",
    department as "部署名",
    job_title as "役職",
    phone as "電話番号",
    case lead_source
        when 'web_form' then 'Webフォーム'
        when 'event' then '展示会・セミナー'
        when 'business_card' then '名刺'
        when 'import' then 'CSVインポート'
    end as "流入元",
    case when opt_out then '配信停止' when not opt_out then '配信中' end as "配信ステータス",
    strftime(timezone('Asia/Tokyo', created_at::timestamptz), '%Y/%m/%d %H:%M:%S')
        as "登録日時",
    strftime(timezone('Asia/Tokyo', updated_at::timestamptz), '%Y/%m/%d %H:%M:%S')
        as "最終更新日時"
from ma_leads
where email is not null
