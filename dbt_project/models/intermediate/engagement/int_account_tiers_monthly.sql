{#- The ABM tier and owner of every ABM account in play (a company with a CRM account or
    a lead) at the end of every month since it was first seen: those of its primary CRM
    account as of the month end (dim_accounts_history), the tier and owner dimensions of
    the monthly KPIs. A CRM account whose history starts after a month end takes its first
    recorded state; a prospect (no CRM account) is untiered and unassigned. -#}
with months as (
    select * from {{ ref('int_months') }}
),

accounts as (
    select
        account_key,
        crm_account_id as account_id,
        first_seen_at
    from {{ ref('dim_abm_accounts') }}
    where crm_account_count > 0 or lead_count > 0
),

history as (
    select * from {{ ref('dim_accounts_history') }}
),

first_states as (
    select
        account_id,
        abm_tier,
        owner
    from (
        select
            account_id,
            abm_tier,
            owner,
            row_number() over (partition by account_id order by valid_from) as state_number
        from history
    ) as numbered
    where state_number = 1
),

final as (
    select
        accounts.account_key,
        max(accounts.account_id) as account_id,
        months.month,
        coalesce(max(history.abm_tier), max(first_states.abm_tier), 'untiered') as abm_tier,
        coalesce(max(nullif(history.owner, '')), max(nullif(first_states.owner, '')), 'unassigned') as owner
    from accounts
    cross join months
    left join history
        on accounts.account_id = history.account_id
        and {{ valid_at('history', local_day_end('months.month_end')) }}
    left join first_states
        on accounts.account_id = first_states.account_id
    where {{ local_date('accounts.first_seen_at') }} <= months.month_end
    group by accounts.account_key, months.month
)

select * from final
