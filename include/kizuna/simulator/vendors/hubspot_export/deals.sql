-- The Deals export: the stage by its internal id in HubSpot's default pipeline, the
-- amount in yen, the company as the deal's primary association, and the date each stage
-- was entered (up to the deal's version) in the pipeline's "Date entered" columns.
with entered as (
    select
        o.opportunity_id,
        o.updated_at,
        h.stage,
        strftime(
            timezone(getvariable('timezone'), cast(max(h.changed_at) as timestamptz)),
            '%Y-%m-%d %H:%M'
        ) as entered_at
    from crm_opportunities as o
    inner join crm_opportunity_history as h
        on o.opportunity_id = h.opportunity_id and h.changed_at <= o.updated_at
    group by all
),

dates as (
    select
        opportunity_id,
        updated_at,
        max(entered_at) filter (where stage = 'prospecting') as prospecting,
        max(entered_at) filter (where stage = 'qualification') as qualification,
        max(entered_at) filter (where stage = 'proposal') as proposal,
        max(entered_at) filter (where stage = 'negotiation') as negotiation,
        max(entered_at) filter (where stage = 'closed_won') as closed_won,
        max(entered_at) filter (where stage = 'closed_lost') as closed_lost
    from entered
    group by all
)

select
    o._day,
    o.opportunity_id as "Record ID",
    o.opportunity_id as "Deal Name",
    case o.stage
        when 'prospecting' then 'appointmentscheduled'
        when 'qualification' then 'qualifiedtobuy'
        when 'proposal' then 'presentationscheduled'
        when 'negotiation' then 'contractsent'
        when 'closed_won' then 'closedwon'
        when 'closed_lost' then 'closedlost'
    end as "Deal Stage",
    'Sales Pipeline' as "Pipeline",
    o.amount_jpy as "Amount",
    'JPY' as "Deal currency code",
    strftime(o.close_date, '%Y-%m-%d') as "Close Date",
    strftime(
        timezone(getvariable('timezone'), cast(o.created_at as timestamptz)), '%Y-%m-%d %H:%M'
    ) as "Create Date",
    strftime(
        timezone(getvariable('timezone'), cast(o.updated_at as timestamptz)), '%Y-%m-%d %H:%M'
    ) as "Last Modified Date",
    o.lost_reason as "Closed Lost Reason",
    o.product_id as "Product ID",
    o.account_id as "Associated Company IDs (Primary)",
    o.account_id as "Associated Company IDs",
    d.prospecting as "Date entered ""Appointment Scheduled (Sales Pipeline)""",
    d.qualification as "Date entered ""Qualified To Buy (Sales Pipeline)""",
    d.proposal as "Date entered ""Presentation Scheduled (Sales Pipeline)""",
    null as "Date entered ""Decision Maker Bought-In (Sales Pipeline)""",
    d.negotiation as "Date entered ""Contract Sent (Sales Pipeline)""",
    d.closed_won as "Date entered ""Closed Won (Sales Pipeline)""",
    d.closed_lost as "Date entered ""Closed Lost (Sales Pipeline)"""
from crm_opportunities as o
left join dates as d on o.opportunity_id = d.opportunity_id and o.updated_at = d.updated_at
order by o._day, o.updated_at, o.opportunity_id
