-- HubSpot deals as opportunities. The company comes from the deal_company association
-- (the primary one when a deal has several, else the lowest id); whether a stage is won
-- or closed from the pipeline's stage list, else from HubSpot's calculated hs_is_closed
-- and hs_is_closed_won, else from the default stage ids; amounts are converted from the
-- deal's currency.
with company_of_deal as (
    select
        deal_id,
        min(company_id) filter (where type_id = '5' or category is null) as primary_company,
        min(company_id) as any_company
    from deal_company_history
    group by deal_id
),

stages as (
    select
        stage_id,
        any_value(label) as label,
        bool_or(kz_bool(closed_won) = 'true') as is_won,
        bool_or(kz_bool(is_closed) = 'true' or kz_bool(closed_won) = 'true') as is_closed,
        max(try_cast(probability as double)) as probability
    from deal_pipeline_stage_history
    group by stage_id
),

flags as (
    select
        d.*,
        coalesce(
            s.is_won,
            kz_bool(d.property_hs_is_closed_won) = 'true',
            lower(d.deal_pipeline_stage_id) = 'closedwon'
        ) as won,
        coalesce(
            s.is_closed,
            kz_bool(d.property_hs_is_closed) = 'true',
            lower(d.deal_pipeline_stage_id) in ('closedwon', 'closedlost')
        ) as closed,
        s.label,
        s.probability
    from deal as d
    left join stages as s on d.deal_pipeline_stage_id = s.stage_id
)

select
    d._file,
    d._row_number,
    d.deal_id as opportunity_id,
    coalesce(c.primary_company, c.any_company) as account_id,
    d.property_product_id as product_id,
    kz_stage(d.won, d.closed, coalesce(d.label, d.deal_pipeline_stage_id), d.probability * 100)
        as stage,
    kz_in_reporting_currency(d.property_amount, d.property_deal_currency_code) as amount_jpy,
    coalesce(kz_timestamp(d.property_createdate), kz_timestamp(d.created_at),
             kz_timestamp(d._fivetran_synced)) as created_at,
    kz_date(d.property_closedate) as close_date,
    coalesce(d.closed, false) as is_closed,
    coalesce(d.won, false) as is_won,
    d.property_closed_lost_reason as lost_reason,
    coalesce(kz_timestamp(d.property_hs_lastmodifieddate), kz_timestamp(d.updated_at),
             kz_timestamp(d.property_createdate), kz_timestamp(d._fivetran_synced))
        as updated_at,
    case
        when kz_bool(d._fivetran_deleted) = 'true' or kz_bool(d.is_deleted) = 'true'
            then 'deleted in HubSpot'
        when c.deal_id is null then 'deal has no associated company'
        when kz_trim(d.property_amount) is not null
            and kz_rate(d.property_deal_currency_code) is null
            then 'no exchange rate for currency ' || upper(d.property_deal_currency_code)
    end as _excluded
from flags as d
left join company_of_deal as c on d.deal_id = c.deal_id
