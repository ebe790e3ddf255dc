-- Salesforce products (Product2). The list price is the product's entry in the standard
-- price book (Pricebook2.IsStandard), else its active entry in the reporting currency,
-- else any active entry with a known exchange rate.
with standard_books as (
    select id
    from pricebook_2_history
    where kz_bool(is_standard) = 'true'
    group by id
),

prices as (
    select
        e.product_2_id,
        kz_in_reporting_currency(e.unit_price, e.currency_iso_code) as list_price
    from pricebook_entry_history as e
    left join standard_books as s on e.pricebook_2_id = s.id
    where kz_bool(e.is_deleted) is distinct from 'true'
        and kz_bool(e._fivetran_deleted) is distinct from 'true'
        and kz_bool(e.is_active) is distinct from 'false'
        and kz_trim(e.unit_price) is not null
        and kz_rate(e.currency_iso_code) is not null
    qualify row_number() over (
        partition by e.product_2_id
        order by s.id is not null desc,
            upper(coalesce(kz_trim(e.currency_iso_code), getvariable('reporting_currency')))
                = getvariable('reporting_currency') desc,
            e._interval desc,
            e._row_number desc
    ) = 1
)

select
    p._file,
    p._row_number,
    p.id as product_id,
    kz_trim(p.name) as product_name,
    kz_trim(p.family) as product_family,
    pr.list_price as list_price_jpy,
    case
        when (kz_bool(p.is_deleted) = 'true'
            or kz_bool(p._fivetran_deleted) = 'true') then 'deleted in Salesforce'
    end as _excluded
from product_2 as p
left join prices as pr on p.id = pr.product_2_id
