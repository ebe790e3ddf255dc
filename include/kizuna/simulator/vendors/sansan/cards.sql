-- The card list: one row per business-card lead as first exchanged, and again on each
-- day a field printed on the card changed; dates and times in JST.
with versions as (
    select
        *,
        lag(concat_ws('|', email, last_name, first_name, company_name, department,
                      job_title, phone))
            over (partition by lead_id order by updated_at) as previous_card,
        concat_ws('|', email, last_name, first_name, company_name, department, job_title,
                  phone) as card
    from ma_leads
    where lead_source = 'business_card'
)

select
    _day,
    lead_id as "名刺ID",
    company_name as "会社名",
    department as "部署名",
    job_title as "役職",
    last_name as "姓",
    first_name as "名",
    email as "メールアドレス",
    phone as "電話番号",
    strftime(timezone('Asia/Tokyo', created_at::timestamptz), '%Y/%m/%d') as "名刺交換日",
    strftime(timezone('Asia/Tokyo', created_at::timestamptz), '%Y/%m/%d %H:%M:%S')
        as "登録日時",
    strftime(timezone('Asia/Tokyo', updated_at::timestamptz), '%Y/%m/%d %H:%M:%S')
        as "更新日時"
from versions
where previous_card is null or previous_card <> card
