{#- The ML spine: one row per account (primary accounts: duplicates count with their
    company) per ML cutoff at which it existed in the CRM. -#}
with accounts as (
    select * from {{ ref('dim_accounts') }}
    where account_id = primary_account_id
),

cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

final as (
    select
        accounts.account_id,
        accounts.corporate_number,
        accounts.industry_division as account_industry_division,
        accounts.is_listed,
        accounts.parent_corporate_number,
        accounts.created_at,
        cutoffs.cutoff_date,
        cutoffs.is_scoring_date,
        cutoffs.is_label_complete,
        cutoffs.label_window_end
    from accounts
    cross join cutoffs
    where {{ local_date('accounts.created_at') }} <= cutoffs.cutoff_date
)

select * from final
