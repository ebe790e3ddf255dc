-- The org's stage list (Salesforce's standard sales process), landed with the first deals.
select
    (select min(_day) from crm_opportunity_history) as _day,
    '01J' || lpad(sort_order::varchar, 15, '0') as Id,
    label as MasterLabel,
    label as ApiName,
    true as IsActive,
    sort_order as SortOrder,
    is_closed as IsClosed,
    is_won as IsWon,
    probability as DefaultProbability
from (
    values
    ('Prospecting', 1, false, false, 10),
    ('Qualification', 2, false, false, 20),
    ('Proposal/Price Quote', 3, false, false, 50),
    ('Negotiation/Review', 4, false, false, 80),
    ('Closed Won', 5, true, true, 100),
    ('Closed Lost', 6, true, false, 0)
) as s (label, sort_order, is_closed, is_won, probability)
