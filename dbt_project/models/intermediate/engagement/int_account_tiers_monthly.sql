{#- The ABM tier and owner of every primary account at the end of every month it existed
    (from dim_accounts_history, as of the month end): the tier and owner dimensions of the
    monthly KPIs. An account whose history starts after a month end takes its first
    recorded state. -#}
with months as (
    select * from {{ ref('int_months') }}
),

accounts as (
    select
        account_id,
        created_at
    from {{ ref('dim_accounts') }}
    where account_id = primary_account_id
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
        accounts.account_id,
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
    where {{ local_date('accounts.created_at') }} <= months.month_end
    group by accounts.account_id, months.month
)

select * from final
