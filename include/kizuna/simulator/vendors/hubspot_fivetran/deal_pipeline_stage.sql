-- The pipeline's stages, landed once with the first deals.
select
    (select min(_day) from crm_opportunities) as _day,
    stage_id,
    'default' as pipeline_id,
    label,
    closed_won,
    is_closed,
    true as active,
    display_order
from (
    values
    ('prospecting', 'Appointment Scheduled', false, false, 1),
    ('qualification', 'Qualified To Buy', false, false, 2),
    ('proposal', 'Presentation Scheduled', false, false, 3),
    ('negotiation', 'Contract Sent', false, false, 4),
    ('closed_won', 'Closed Won', true, true, 5),
    ('closed_lost', 'Closed Lost', false, true, 6)
) as s (stage_id, label, closed_won, is_closed, display_order)
