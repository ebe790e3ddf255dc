-- What a program promotes, as a "Product" tag.
select
    _day,
    campaign_id as program_id,
    'Product' as tag_type,
    product_id as tag_value,
    cast(started_on as timestamptz) + interval 1 hour as _fivetran_synced,
    false as _fivetran_deleted
from ma_campaigns
where product_id is not null
