-- Views the table SQLs share. One trigger smart campaign per program, numbered as Marketo
-- numbers its assets, landed with the program or its first activity, whichever comes first.
create or replace temp view smart_campaign as
select
    campaign_id as program_id,
    1000 + dense_rank() over (order by campaign_id) as id,
    min(_day) as _day,
    min(started_at) as created_at
from (
    select
        campaign_id,
        _day,
        cast(started_on as timestamptz) as started_at
    from ma_campaigns
    union all
    select
        campaign_id,
        _day,
        cast(occurred_at as timestamptz) as started_at
    from ma_activities
    where campaign_id is not null
) as program_days
group by campaign_id;

-- Every world activity with the columns all of Fivetran's activity tables have: the
-- activity's smart campaign, its date as a UTC instant, when Fivetran synced it.
create or replace temp view marketo_activity as
select
    a._day,
    a.activity_id,
    a.lead_id,
    a.activity_type,
    a.campaign_id as program_id,
    a.asset_id,
    a.url,
    s.id as smart_campaign_id,
    cast(a.occurred_at as timestamptz) as activity_date,
    cast(a.occurred_at as timestamptz) + interval 1 hour as _fivetran_synced
from ma_activities as a
left join smart_campaign as s on a.campaign_id = s.program_id;
