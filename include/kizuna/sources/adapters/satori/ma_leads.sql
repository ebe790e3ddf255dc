-- SATORI customers as MA leads. Names, company and the opt-out come from whichever of the
-- header variants the file has; the arrival route (流入元 / 登録経路) gives the lead source.
with customers_named as (
    select
        *,
        kz_trim("カスタマーid") as customer_id,
        lower(coalesce(kz_trim("流入元"), kz_trim("登録経路"), '')) as route
    from customers
)

select
    _file,
    _row_number,
    'satori-' || customer_id as lead_id,
    kz_trim("メールアドレス") as email,
    coalesce(kz_trim("苗字"), kz_trim("姓")) as last_name,
    coalesce(kz_trim("名前"), kz_trim("名")) as first_name,
    coalesce(kz_trim("会社名"), kz_trim("企業名")) as company_name,
    kz_trim("部署名") as department,
    kz_trim("役職") as job_title,
    kz_trim("電話番号") as phone,
    case
        when route like '%名刺%' then 'business_card'
        when route like '%セミナー%' or route like '%イベント%' or route like '%展示会%'
            or route like '%ウェビナー%' or route like '%event%' then 'event'
        when route like '%一括%' or route like '%インポート%' or route like '%csv%'
            or route like '%import%' then 'import'
        when route like '%フォーム%' or route like '%form%' or route like '%api%'
            then 'web_form'
    end as lead_source,
    case
        when kz_trim("配信ステータス") like '%停止%' then 'true'
        when kz_trim("配信ステータス") is not null then 'false'
        when kz_trim("配信停止") in ('○', '◯', '停止', '配信停止', 'はい') then 'true'
        when kz_trim("配信停止") in ('×', '-', 'いいえ') then 'false'
        else kz_bool("配信停止")
    end as opt_out,
    kz_timestamp("登録日時") as created_at,
    coalesce(kz_timestamp("最終更新日時"), kz_timestamp("登録日時")) as updated_at,
    case
        when customer_id is null then 'no customer ID'
        when kz_trim("メールアドレス") is null
            then 'anonymous customer (no e-mail address): a web visitor, not a lead'
        when kz_trim("登録日時") is null then 'no registration date (登録日時)'
    end as _excluded
from customers_named
