-- SATORI action history as MA activities. The customer comes from the customer ID, else
-- from the e-mail address among every customers export so far; an action without an ID of
-- its own gets a stable one from its customer, time, kind and URL. The campaign ID is
-- SATORI's own, unprefixed: SATORI delivers no campaign list, so the campaigns its actions
-- name come from a campaigns file kept beside it, under those IDs.
with customer_by_email as (
    select
        lower(kz_trim("メールアドレス")) as email,
        min(kz_trim("カスタマーid")) as customer_id
    from customers_history
    where kz_trim("メールアドレス") is not null and kz_trim("カスタマーid") is not null
    group by 1
),

actions_typed as (
    select
        a.*,
        coalesce(kz_trim(a."カスタマーid"), c.customer_id) as customer_id,
        coalesce(kz_trim(a."アクション"), kz_trim(a."アクション種別")) as kind,
        case lower(coalesce(kz_trim(a."アクション"), kz_trim(a."アクション種別")))
            when 'メール配信' then 'email_send'
            when 'メール送信' then 'email_send'
            when 'メール開封' then 'email_open'
            when 'メールクリック' then 'email_click'
            when 'メール内リンククリック' then 'email_click'
            when 'ページ閲覧' then 'web_visit'
            when 'ページアクセス' then 'web_visit'
            when 'webアクセス' then 'web_visit'
            when 'フォーム送信' then 'form_submit'
            when 'フォーム登録' then 'form_submit'
            when 'ファイルダウンロード' then 'content_download'
            when '資料ダウンロード' then 'content_download'
            when 'イベント申込' then 'event_registration'
            when 'セミナー申込' then 'event_registration'
            when 'イベント参加' then 'event_attendance'
            when 'セミナー参加' then 'event_attendance'
            when '名刺交換' then 'business_card_scan'
            when '配信停止' then 'unsubscribe'
        end as activity_type
    from actions as a
    left join customer_by_email as c
        on kz_trim(a."カスタマーid") is null
        and lower(kz_trim(a."メールアドレス")) = c.email
)

select
    _file,
    _row_number,
    'satori-' || coalesce(
        kz_trim("アクションid"),
        md5(concat_ws('|', customer_id, kz_trim("アクション日時"), kind, kz_trim(url)))
    ) as activity_id,
    'satori-' || customer_id as lead_id,
    activity_type,
    kz_timestamp("アクション日時") as occurred_at,
    kz_trim("キャンペーンid") as campaign_id,
    'satori-mail-' || kz_trim("メールid") as asset_id,
    kz_trim(url) as url,
    case
        when activity_type is null
            then 'action ' || coalesce(kind, 'NULL') || ' has no contract activity type'
        when customer_id is null and kz_trim("メールアドレス") is null
            then 'anonymous visitor (no customer ID or e-mail address): not a lead'
        when customer_id is null then 'e-mail address is no known customer'
        when kz_trim("アクション日時") is null then 'no action date (アクション日時)'
    end as _excluded
from actions_typed
