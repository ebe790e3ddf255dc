-- Salesforce keeps a buying role only as a contact's role on a deal: each contact version's
-- role is written as its role on one of its account's deals, landed with that version.
with account_deal as (
    select
        account_id,
        min(opportunity_id) as opportunity_id
    from crm_opportunities
    group by 1
)

select
    c._day,
    '00K' || left(md5(c.contact_id || c.updated_at::varchar), 15) as Id,
    d.opportunity_id as OpportunityId,
    c.contact_id as ContactId,
    case c.buying_role
        when 'decision_maker' then 'Decision Maker'
        when 'economic_buyer' then 'Economic Buyer'
        when 'champion' then 'Champion'
        when 'influencer' then 'Influencer'
        when 'user' then 'Business User'
    end as Role,
    false as IsPrimary,
    strftime(c.updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as CreatedDate,
    strftime(c.updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') as SystemModstamp,
    false as IsDeleted
from crm_contacts as c
left join account_deal as d on c.account_id = d.account_id
where c.buying_role is not null
