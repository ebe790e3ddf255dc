{#- The MQA list to hand to sales and the MA tool: one row per account that is a
    marketing qualified account on the latest scoring date, with when it qualified, its
    scores and where it stands on the ranked target list. -#}
with current_scores as (
    select * from {{ ref('mart_account_scores') }}
    where is_latest and is_mqa
),

current_events as (
    select
        account_key,
        qualified_on
    from {{ ref('fct_mqa_events') }}
    where is_current_mqa
),

accounts as (
    select * from {{ ref('dim_abm_accounts') }}
),

targets as (
    select * from {{ ref('mart_target_accounts') }}
),

final as (
    select
        current_scores.account_key,
        accounts.crm_account_id as account_id,
        accounts.account_name,
        accounts.domain,
        accounts.corporate_number,
        accounts.owner,
        accounts.is_customer,
        current_events.qualified_on,
        current_scores.as_of_date,
        current_scores.fit_score,
        current_scores.engagement_score,
        current_scores.grade,
        current_scores.engaged_people_90d,
        current_scores.is_surging,
        targets.target_tier,
        targets.target_rank,
        targets.target_score,
        targets.top_reason,
        targets.next_best_product
    from current_scores
    inner join accounts
        on current_scores.account_key = accounts.account_key
    left join current_events
        on current_scores.account_key = current_events.account_key
    left join targets
        on current_scores.account_key = targets.account_key
)

select * from final
