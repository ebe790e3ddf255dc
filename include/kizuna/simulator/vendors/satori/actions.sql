-- The action history: one row per activity, named as SATORI's screen names it. A card
-- lead's own scan is Sansan's when the sansan writer is in the run.
with card_leads as (
    select distinct lead_id from ma_leads
    where lead_source = 'business_card'
)

select
    a._day,
    a.activity_id as "アクションID",
    a.lead_id as "カスタマーID",
    strftime(timezone('Asia/Tokyo', a.occurred_at::timestamptz), '%Y/%m/%d %H:%M:%S')
        as "アクション日時",
    case a.activity_type
        when 'email_send' then 'メール配信'
        when 'email_open' then 'メール開封'
        when 'email_click' then 'メールクリック'
        when 'web_visit' then 'ページ閲覧'
        when 'form_submit' then 'フォーム送信'
        when 'content_download' then '資料ダウンロード'
        when 'event_registration' then 'セミナー申込'
        when 'event_attendance' then 'セミナー参加'
        when 'business_card_scan' then '名刺交換'
        when 'unsubscribe' then '配信停止'
    end as "アクション",
    a.url as "URL",
    a.campaign_id as "キャンペーンID"
from ma_activities as a
where not (
    a.activity_type = 'business_card_scan'
    and a.lead_id in (select lead_id from card_leads)
    and exists (select 1 from kz_writers where writer = 'sansan')
)
