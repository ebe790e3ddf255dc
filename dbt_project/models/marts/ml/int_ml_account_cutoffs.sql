{#- The ML spine: one row per ABM account (every company the pipeline can identify,
    customer or prospect) per ML cutoff since it was first seen. account_id names its
    primary CRM account only from the day that account existed, so a company that became
    a CRM account later is a prospect at the earlier cutoffs (nothing later leaks in). -#}
with accounts as (
    select * from {{ ref('dim_abm_accounts') }}
),

crm_accounts as (
    select
        account_id,
        created_at
    from {{ ref('dim_accounts') }}
),

cutoffs as (
    select * from {{ ref('int_ml_cutoffs') }}
),

final as (
    select
        accounts.account_key,
        case
            when {{ local_date('crm_accounts.created_at') }} <= cutoffs.cutoff_date then accounts.crm_account_id
        end as account_id,
        accounts.key_source,
        accounts.corporate_number,
        accounts.industry_division as account_industry_division,
        accounts.first_seen_at,
        crm_accounts.created_at as crm_created_at,
        cutoffs.cutoff_date,
        cutoffs.is_scoring_date,
        cutoffs.is_label_complete,
        cutoffs.label_window_end
    from accounts
    cross join cutoffs
    left join crm_accounts
        on accounts.crm_account_id = crm_accounts.account_id
    where {{ local_date('accounts.first_seen_at') }} <= cutoffs.cutoff_date
)

select * from final
