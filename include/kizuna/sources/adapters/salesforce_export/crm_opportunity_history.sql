-- Salesforce OpportunityHistory: one row per change of stage, amount or close date, at
-- CreatedDate. The row carries the stage name only: won and lost come from the org's stage
-- list (OpportunityStage) when delivered, else from the name, as for opportunities.
with stage_list as (
    select
        lower(kz_trim(coalesce(masterlabel, apiname))) as stage_key,
        kz_bool(iswon) = 'true' as is_won,
        kz_bool(isclosed) = 'true' as is_closed
    from opportunitystage_history
    qualify row_number() over (
        partition by lower(kz_trim(coalesce(masterlabel, apiname)))
        order by _interval desc, _row_number desc
    ) = 1
),

changes as (
    select
        h.*,
        lower(kz_trim(h.stagename)) as stage_key,
        try_cast(kz_amount(h.probability) as double) as probability_pct,
        coalesce(s.is_won, lower(kz_trim(h.stagename)) in ('closed won', 'won', '受注', '成約'))
            as won,
        coalesce(
            s.is_closed,
            lower(kz_trim(h.stagename)) in (
                'closed won', 'won', '受注', '成約', 'closed lost', 'lost', '失注',
                'disqualified', 'closed - disqualified'
            )
        ) as closed
    from opportunityhistory as h
    left join stage_list as s on lower(kz_trim(h.stagename)) = s.stage_key
)

select
    _file,
    _row_number,
    opportunityid as opportunity_id,
    kz_timestamp(createddate) as changed_at,
    kz_stage(won, closed, stage_key, probability_pct) as stage,
    kz_in_reporting_currency(amount, currencyisocode) as amount_jpy,
    case
        when kz_bool(isdeleted) = 'true' then 'deleted in Salesforce'
        when kz_trim(createddate) is null then 'no date the change was made'
        when kz_trim(amount) is not null and kz_rate(currencyisocode) is null
            then 'no exchange rate for currency ' || upper(kz_trim(currencyisocode))
    end as _excluded
from changes
