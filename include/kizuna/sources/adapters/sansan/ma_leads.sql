-- Sansan cards as MA leads (lead source business_card). The card ID is the key, else the
-- e-mail address; the phone is the office line, else the mobile.
with cards_keyed as (
    select
        *,
        coalesce(
            'sansan-' || kz_trim("名刺id"),
            'sansan-mail-' || md5(lower(kz_trim("メールアドレス")))
        ) as lead_key,
        coalesce(kz_trim("名刺交換日"), kz_trim("交換日")) as exchanged_raw
    from cards
),

cards_dated as (
    -- exchange dates as the screen shows them: 2026/03/02, 2026-03-02 or 2026年3月2日
    select
        *,
        coalesce(
            strftime(
                try_strptime(
                    split_part(exchanged_raw, ' ', 1),
                    ['%Y/%m/%d', '%Y-%m-%d', '%Y.%m.%d', '%Y年%m月%d日']
                ),
                '%Y-%m-%d'
            ),
            kz_date(exchanged_raw)
        ) as exchanged_on
    from cards_keyed
)

select
    _file,
    _row_number,
    lead_key as lead_id,
    kz_trim("メールアドレス") as email,
    kz_trim("姓") as last_name,
    kz_trim("名") as first_name,
    kz_trim("会社名") as company_name,
    kz_trim("部署名") as department,
    kz_trim("役職") as job_title,
    coalesce(kz_trim("電話番号"), kz_trim(tel), kz_trim("携帯電話")) as phone,
    'business_card' as lead_source,
    null as opt_out,
    coalesce(kz_timestamp("登録日時"), exchanged_on) as created_at,
    coalesce(kz_timestamp("更新日時"), kz_timestamp("登録日時"), exchanged_on)
        as updated_at,
    case
        when lead_key is null then 'card has neither a card ID nor an e-mail address'
        when kz_trim("姓") is null and kz_trim("名") is null
            and kz_trim("メールアドレス") is null and kz_trim("会社名") is null
            then 'card not digitised yet (no name, e-mail or company)'
        when kz_trim("登録日時") is null and exchanged_on is null
            then 'no registration or exchange date'
    end as _excluded
from cards_dated
