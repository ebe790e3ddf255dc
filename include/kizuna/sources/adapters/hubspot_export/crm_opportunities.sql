-- HubSpot deals export as opportunities. "Deal Stage" is a label (or an internal id): one
-- column feeds stage, is_closed and is_won; the company is the primary association, else the
-- first associated company; amounts in the deal's currency are converted ("Amount in
-- company currency", where only it is given, is in the portal's currency).
with deals_staged as (
    select
        *,
        coalesce(kz_trim(amount), kz_trim(amount_in_company_currency)) as amount_text,
        case when kz_trim(amount) is not null then kz_trim(deal_currency_code) end
            as currency_code,
        regexp_replace(lower(kz_trim(deal_stage)), '[\s_\-]', '', 'g') as stage_key,
        coalesce(
            kz_trim("associated_company_ids_(primary)"),
            kz_trim(split_part(associated_company_ids, ';', 1))
        ) as company_id
    from deals
),

deals_mapped as (
    select
        *,
        case
            when stage_key = 'appointmentscheduled' then 'prospecting'
            when stage_key = 'qualifiedtobuy' then 'qualification'
            when stage_key in ('presentationscheduled', 'decisionmakerboughtin') then 'proposal'
            when stage_key = 'contractsent' then 'negotiation'
            when stage_key like '%closedwon%' or stage_key like '%成約%' then 'closed_won'
            when stage_key like '%closedlost%' or stage_key like '%不成立%'
                or stage_key like '%失注%' then 'closed_lost'
            when stage_key like '%negotiat%' or stage_key like '%contract%'
                or stage_key like '%契約%' or stage_key like '%交渉%' then 'negotiation'
            when stage_key like '%proposal%' or stage_key like '%presentation%'
                or stage_key like '%decision%' or stage_key like '%提案%'
                or stage_key like '%プレゼン%' or stage_key like '%決裁%' then 'proposal'
            when stage_key like '%qualif%' or stage_key like '%見込み%' then 'qualification'
            when stage_key like '%appointment%' or stage_key like '%prospect%'
                or stage_key like '%アポ%' then 'prospecting'
        end as stage
    from deals_staged
)

select
    _file,
    _row_number,
    kz_trim(record_id) as opportunity_id,
    company_id as account_id,
    kz_trim(product_id) as product_id,
    stage,
    kz_in_reporting_currency(amount_text, currency_code) as amount_jpy,
    kz_timestamp(create_date) as created_at,
    kz_date(close_date) as close_date,
    stage in ('closed_won', 'closed_lost') as is_closed,
    stage = 'closed_won' as is_won,
    kz_trim(closed_lost_reason) as lost_reason,
    coalesce(kz_timestamp(last_modified_date), kz_timestamp(create_date)) as updated_at,
    case
        when kz_trim(record_id) is null then 'no Record ID'
        when stage is null
            then 'deal stage ' || coalesce(kz_trim(deal_stage), 'NULL')
                || ' has no contract stage'
        when company_id is null then 'deal has no associated company'
        when amount_text is not null and kz_rate(currency_code) is null
            then 'no exchange rate for currency '
                || coalesce(upper(currency_code), 'of the portal (vendors currency)')
        when kz_trim(create_date) is null then 'no Create Date'
    end as _excluded
from deals_mapped
