-- Salesforce assets (the products an account owns) as contracts. Dates from the lifecycle
-- fields, else install/purchase; the yearly amount from CurrentMrr, else the price paid.
-- Obsolete is churned; an end date before the record's last change is expired.
with contact_accounts as (
    select
        id,
        account_id
    from contact_history
    qualify row_number() over (partition by id order by _interval desc, _row_number desc) = 1
),

assets as (
    select
        s.*,
        coalesce(kz_trim(s.account_id), c.account_id) as owner_account,
        coalesce(kz_date(s.lifecycle_start_date), kz_date(s.install_date), kz_date(s.purchase_date),
                 kz_date(s.created_date)) as start_day,
        coalesce(kz_date(s.lifecycle_end_date), kz_date(s.usage_end_date)) as end_day,
        coalesce(kz_timestamp(s.system_modstamp), kz_timestamp(s.last_modified_date),
                 kz_timestamp(s.created_date)) as changed_at,
        case
            when kz_trim(s.current_mrr) is not null
                then kz_in_reporting_currency(
                    cast(try_cast(kz_amount(s.current_mrr) as decimal(18, 4)) * 12 as varchar),
                    s.currency_iso_code)
            when kz_trim(s.price) is not null
                then kz_in_reporting_currency(
                    cast(try_cast(kz_amount(s.price) as decimal(18, 4))
                         * coalesce(try_cast(kz_amount(s.quantity) as decimal(18, 4)), 1)
                         as varchar),
                    s.currency_iso_code)
        end as yearly_amount
    from asset as s
    left join contact_accounts as c on s.contact_id = c.id
)

select
    _file,
    _row_number,
    id as contract_id,
    owner_account as account_id,
    kz_trim(product_2_id) as product_id,
    start_day as started_on,
    end_day as ended_on,
    yearly_amount as annual_amount_jpy,
    case
        when lower(kz_trim(status)) similar to '.*(obsolete|cancel|churn|解約).*' then 'churned'
        when end_day is not null and end_day < left(changed_at, 10) then 'expired'
        else 'active'
    end as status,
    changed_at as updated_at,
    case
        when (kz_bool(is_deleted) = 'true'
            or kz_bool(_fivetran_deleted) = 'true') then 'deleted in Salesforce'
        when kz_bool(is_competitor_product) = 'true'
            then 'a competitor''s product the account owns, not a sale'
        when kz_trim(product_2_id) is null then 'asset names no product'
        when owner_account is null then 'asset has neither an account nor a contact''s account'
        when (kz_trim(current_mrr) is not null or kz_trim(price) is not null)
            and kz_rate(currency_iso_code) is null
            then 'no exchange rate for currency ' || upper(kz_trim(currency_iso_code))
    end as _excluded
from assets
