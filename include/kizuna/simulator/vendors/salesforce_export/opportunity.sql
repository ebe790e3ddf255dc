select
    _day,
    opportunity_id as Id,
    false as IsDeleted,
    account_id as AccountId,
    opportunity_id as Name,
    case stage
        when 'prospecting' then 'Prospecting'
        when 'qualification' then 'Qualification'
        when 'proposal' then 'Proposal/Price Quote'
        when 'negotiation' then 'Negotiation/Review'
        when 'closed_won' then 'Closed Won'
        when 'closed_lost' then 'Closed Lost'
    end as StageName,
    amount_jpy as Amount,
    case stage
        when 'prospecting' then 10
        when 'qualification' then 20
        when 'proposal' then 50
        when 'negotiation' then 80
        when 'closed_won' then 100
        else 0
    end as Probability,
    strftime(close_date, '%Y-%m-%d') as CloseDate,
    is_closed as IsClosed,
    is_won as IsWon,
    'JPY' as CurrencyIsoCode,
    product_id is not null as HasOpportunityLineItem,
    strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') as CreatedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as LastModifiedDate,
    strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    lost_reason as Loss_Reason__c
from crm_opportunities
