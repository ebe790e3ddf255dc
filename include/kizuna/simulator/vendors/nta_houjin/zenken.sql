-- 全件データ rows: each company when its data first arrives, and again on a day its name,
-- furigana or prefecture changed (process 11 商号の変更, 12 国内所在地の変更; a change of
-- headcount or revenue is no change to the NTA). The 30 columns of the resource
-- definition in order; no city, street or post code (the world has none).
with versions as (
    select
        *,
        lag(company_name) over by_update as previous_name,
        lag(company_name_kana) over by_update as previous_kana,
        lag(prefecture) over by_update as previous_prefecture,
        row_number() over by_update as version
    from firmo_companies
    window by_update as (partition by corporate_number order by updated_at)
),

published as (
    select
        *,
        case
            when version = 1 then '01'
            when prefecture is distinct from previous_prefecture then '12'
            else '11'
        end as process
    from versions
    where version = 1
        or company_name is distinct from previous_name
        or company_name_kana is distinct from previous_kana
        or prefecture is distinct from previous_prefecture
)

select
    _day,
    row_number() over (partition by _day order by corporate_number) as sequence_number,
    corporate_number,
    process,
    '0' as correct,
    strftime(timezone('Asia/Tokyo', updated_at::timestamptz), '%Y-%m-%d') as update_date,
    strftime(timezone('Asia/Tokyo', updated_at::timestamptz), '%Y-%m-%d') as change_date,
    company_name as name,
    null as name_image_id,
    case
        when company_name like '%株式会社%' then '301'
        when company_name like '%有限会社%' then '302'
        when company_name like '%合名会社%' then '303'
        when company_name like '%合資会社%' then '304'
        when company_name like '%合同会社%' then '305'
        else '399'
    end as kind,
    prefecture as prefecture_name,
    null as city_name,
    null as street_number,
    null as address_image_id,
    lpad(cast(list_position([
        '北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県', '茨城県',
        '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県', '新潟県', '富山県',
        '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県', '三重県',
        '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県', '鳥取県', '島根県',
        '岡山県', '広島県', '山口県', '徳島県', '香川県', '愛媛県', '高知県', '福岡県',
        '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県'
    ], prefecture) as varchar), 2, '0') as prefecture_code,
    null as city_code,
    null as post_code,
    null as address_outside,
    null as address_outside_image_id,
    null as close_date,
    null as close_cause,
    null as successor_corporate_number,
    null as change_cause,
    null as assignment_date,
    '1' as latest,
    null as en_name,
    null as en_prefecture_name,
    null as en_city_name,
    null as en_address_outside,
    company_name_kana as furigana,
    '0' as hihyoji
from published
