-- Deals carry their stage as a pipeline stage id and the amount in yen.
select
    _day,
    opportunity_id as deal_id,
    false as _fivetran_deleted,
    false as is_deleted,
    'default' as deal_pipeline_id,
    stage as deal_pipeline_stage_id,
    cast(amount_jpy as varchar) as property_amount,
    'JPY' as property_deal_currency_code,
    strftime(close_date, '%Y-%m-%d') as property_closedate,
    strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') as property_createdate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') as property_hs_lastmodifieddate,
    lost_reason as property_closed_lost_reason,
    product_id as property_product_id
from crm_opportunities
