-- Salesforce assets (the products an account owns) as contracts. Dates from the lifecycle
-- fields, else install/purchase; the yearly amount from CurrentMrr, else the price paid.
-- Obsolete is churned; an end date before the record's last change is expired.
with contact_accounts as (
    select
        id,
        accountid
    from contact_history
    qualify row_number() over (partition by id order by _interval desc, _row_number desc) = 1
),

assets as (
    select
        s.*,
        coalesce(kz_trim(s.accountid), c.accountid) as owner_account,
        coalesce(kz_date(s.lifecyclestartdate), kz_date(s.installdate), kz_date(s.purchasedate),
                 kz_date(s.createddate)) as start_day,
        coalesce(kz_date(s.lifecycleenddate), kz_date(s.usageenddate)) as end_day,
        coalesce(kz_timestamp(s.systemmodstamp), kz_timestamp(s.lastmodifieddate),
                 kz_timestamp(s.createddate)) as changed_at,
        case
            when kz_trim(s.currentmrr) is not null
                then kz_in_reporting_currency(
                    cast(try_cast(kz_amount(s.currentmrr) as decimal(18, 4)) * 12 as varchar),
                    s.currencyisocode)
            when kz_trim(s.price) is not null
                then kz_in_reporting_currency(
                    cast(try_cast(kz_amount(s.price) as decimal(18, 4))
                         * coalesce(try_cast(kz_amount(s.quantity) as decimal(18, 4)), 1)
                         as varchar),
                    s.currencyisocode)
        end as yearly_amount
    from asset as s
    left join contact_accounts as c on s.contactid = c.id
)

select
    _file,
    _row_number,
    id as contract_id,
    owner_account as account_id,
    kz_trim(product2id) as product_id,
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
        when kz_bool(isdeleted) = 'true' then 'deleted in Salesforce'
        when kz_bool(iscompetitorproduct) = 'true'
            then 'a competitor''s product the account owns, not a sale'
        when kz_trim(product2id) is null then 'asset names no product'
        when owner_account is null then 'asset has neither an account nor a contact''s account'
        when (kz_trim(currentmrr) is not null or kz_trim(price) is not null)
            and kz_rate(currencyisocode) is null
            then 'no exchange rate for currency ' || upper(kz_trim(currencyisocode))
    end as _excluded
from assets
