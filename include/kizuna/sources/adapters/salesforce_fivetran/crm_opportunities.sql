-- Salesforce opportunities. IsWon/IsClosed decide won and lost (else the org's stage list,
-- OpportunityStage, else the stage name); open stages map by name, standard and common
-- custom ones, then by probability. The product is the largest line item's Product2Id.
with stage_list as (
    select
        lower(kz_trim(coalesce(master_label, api_name))) as stage_key,
        kz_bool(is_won) = 'true' as is_won,
        kz_bool(is_closed) = 'true' as is_closed
    from opportunity_stage_history
    qualify row_number() over (
        partition by lower(kz_trim(coalesce(master_label, api_name)))
        order by _interval desc, _row_number desc
    ) = 1
),

main_product as (
    select
        opportunity_id,
        product_2_id
    from opportunity_line_item_history
    where kz_bool(is_deleted) is distinct from 'true'
        and kz_bool(_fivetran_deleted) is distinct from 'true'
        and kz_trim(product_2_id) is not null
    qualify row_number() over (
        partition by opportunity_id
        order by _interval desc,
            try_cast(kz_amount(total_price) as double) desc nulls last,
            id
    ) = 1
),

opportunities as (
    select
        o.*,
        lower(kz_trim(o.stage_name)) as stage_key,
        try_cast(kz_amount(o.probability) as double) as probability_pct,
        coalesce(
            case kz_bool(o.is_won) when 'true' then true when 'false' then false end,
            s.is_won,
            lower(kz_trim(o.stage_name)) in ('closed won', 'won', '受注', '成約')
        ) as won,
        coalesce(
            case kz_bool(o.is_closed) when 'true' then true when 'false' then false end,
            s.is_closed,
            lower(kz_trim(o.stage_name)) in (
                'closed won', 'won', '受注', '成約', 'closed lost', 'lost', '失注',
                'disqualified', 'closed - disqualified'
            )
        ) as closed
    from opportunity as o
    left join stage_list as s on lower(kz_trim(o.stage_name)) = s.stage_key
),

staged as (
    select
        *,
        kz_stage(won, closed, stage_key, probability_pct) as stage
    from opportunities
)

select
    o._file,
    o._row_number,
    o.id as opportunity_id,
    kz_trim(o.account_id) as account_id,
    p.product_2_id as product_id,
    o.stage,
    kz_in_reporting_currency(o.amount, o.currency_iso_code) as amount_jpy,
    kz_timestamp(o.created_date) as created_at,
    kz_date(o.close_date) as close_date,
    o.stage in ('closed_won', 'closed_lost') as is_closed,
    o.stage = 'closed_won' as is_won,
    case when o.stage = 'closed_lost' then kz_trim(o.loss_reason_c) end as lost_reason,
    coalesce(kz_timestamp(o.system_modstamp), kz_timestamp(o.last_modified_date),
             kz_timestamp(o.created_date)) as updated_at,
    case
        when (kz_bool(o.is_deleted) = 'true'
            or kz_bool(o._fivetran_deleted) = 'true') then 'deleted in Salesforce'
        when kz_trim(o.account_id) is null then 'opportunity has no account'
        when kz_trim(o.amount) is not null and kz_rate(o.currency_iso_code) is null
            then 'no exchange rate for currency ' || upper(kz_trim(o.currency_iso_code))
    end as _excluded
from staged as o
left join main_product as p on o.id = p.opportunity_id
