-- Salesforce campaigns. Type (the standard picklist and common custom values) is the
-- channel; ActualCost, in the campaign's currency, is the cost.
select
    _file,
    _row_number,
    id as campaign_id,
    kz_trim(name) as name,
    case
        when lower(kz_trim(type)) similar to '.*(webinar|ウェビナー|オンラインセミナー).*'
            then 'webinar'
        when lower(kz_trim(type)) similar to '.*(seminar|セミナー|workshop).*' then 'seminar'
        when lower(kz_trim(type)) similar to
            '.*(conference|trade ?show|event|exhibition|展示会|イベント|カンファレンス).*'
            then 'event'
        when lower(kz_trim(type)) similar to '.*(e-?mail|newsletter|メール|メルマガ).*'
            then 'email'
        when lower(kz_trim(type)) similar to
            '.*(advertis|banner|ads|paid|social|search|広告).*' then 'ads'
        when lower(kz_trim(type)) similar to
            '.*(content|white ?paper|ebook|e-book|download|ホワイトペーパー|資料).*'
            then 'content'
    end as channel,
    null as product_id,
    kz_date(start_date) as started_on,
    kz_date(end_date) as ended_on,
    kz_in_reporting_currency(actual_cost, currency_iso_code) as cost_jpy,
    case
        when (kz_bool(is_deleted) = 'true'
            or kz_bool(_fivetran_deleted) = 'true') then 'deleted in Salesforce'
        when kz_trim(actual_cost) is not null and kz_rate(currency_iso_code) is null
            then 'no exchange rate for currency ' || upper(kz_trim(currency_iso_code))
    end as _excluded
from campaign
