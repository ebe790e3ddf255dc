{#- Account -> company: the corporate number where it checks out (dbt), else the identity
    task's cascade (domain, name, probabilistic). Also names, per company, the primary
    account (the oldest), so duplicate accounts of one company can be told apart, and the
    account key (the company's corporate number, else `crm:` and the primary account). -#}
with accounts as (
    select * from {{ ref('stg_crm__accounts') }}
),

numbers as (
    select * from {{ ref('int_account_corporate_numbers') }}
    where is_linked
),

resolved as (
    select * from {{ source('identity', 'account_company_links') }}
),

combined as (
    select
        accounts.account_id,
        accounts.created_at,
        coalesce(numbers.corporate_number, resolved.corporate_number) as corporate_number,
        case
            when numbers.account_id is not null then 'corporate_number'
            else coalesce(resolved.match_method, 'unresolved')
        end as match_method,
        case
            when numbers.account_id is not null then 1.0
            else coalesce(resolved.match_confidence, 0.0)
        end as match_confidence
    from accounts
    left join numbers
        on accounts.account_id = numbers.account_id
    left join resolved
        on accounts.account_id = resolved.account_id
),

ranked as (
    select
        *,
        row_number() over (
            partition by corporate_number order by created_at, account_id
        ) as account_rank
    from combined
),

primaries as (
    select
        corporate_number,
        account_id as primary_account_id
    from ranked
    where corporate_number is not null and account_rank = 1
),

final as (
    select
        ranked.account_id,
        ranked.corporate_number,
        ranked.match_method,
        cast(ranked.match_confidence as {{ type_double() }}) as match_confidence,
        coalesce(primaries.primary_account_id, ranked.account_id) as primary_account_id,
        ranked.corporate_number is not null and ranked.account_rank > 1 as is_duplicate_account,
        {{ account_key('ranked.corporate_number', 'ranked.account_id') }} as account_key
    from ranked
    left join primaries
        on ranked.corporate_number = primaries.corporate_number
)

select * from final
