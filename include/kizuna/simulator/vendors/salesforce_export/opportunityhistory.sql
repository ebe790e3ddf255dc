select
    _day,
    '008' || left(md5(opportunity_id || changed_at::varchar), 15) as Id,
    opportunity_id as OpportunityId,
    strftime(changed_at, '%Y-%m-%dT%H:%M:%S.%gZ') as CreatedDate,
    case stage
        when 'prospecting' then 'Prospecting'
        when 'qualification' then 'Qualification'
        when 'proposal' then 'Proposal/Price Quote'
        when 'negotiation' then 'Negotiation/Review'
        when 'closed_won' then 'Closed Won'
        when 'closed_lost' then 'Closed Lost'
    end as StageName,
    amount_jpy as Amount,
    'JPY' as CurrencyIsoCode,
    strftime(changed_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    false as IsDeleted
from crm_opportunity_history
