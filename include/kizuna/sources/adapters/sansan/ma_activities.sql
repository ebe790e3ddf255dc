-- Each Sansan card as one business_card_scan of its lead on the exchange date (名刺交換日,
-- or 交換日 in older downloads); the card owner's name goes nowhere in the contract.
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
    lead_key || '-scan-' || coalesce(exchanged_on, '') as activity_id,
    lead_key as lead_id,
    'business_card_scan' as activity_type,
    exchanged_on as occurred_at,
    null as campaign_id,
    null as asset_id,
    null as url,
    case
        when lead_key is null then 'card has neither a card ID nor an e-mail address'
        when kz_trim("姓") is null and kz_trim("名") is null
            and kz_trim("メールアドレス") is null and kz_trim("会社名") is null
            then 'card not digitised yet (no name, e-mail or company)'
        when exchanged_on is null then 'no exchange date (名刺交換日): no scan to record'
    end as _excluded
from cards_dated
