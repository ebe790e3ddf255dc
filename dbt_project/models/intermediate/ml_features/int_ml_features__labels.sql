{#- One row per ABM account per ML cutoff (int_ml_account_cutoffs): the new opportunities
    and won deals of the var ml_label_window_days after the cutoff, null until that window
    has passed the data date (and when none came). The labels of mart_account_features. -#}
with spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
),

-- deals stay on CRM accounts: reached through the ABM account of their primary account
opportunities as (
    select * from {{ ref('int_ml_opportunities') }}
),

opportunity_labels as (
    select
        spine.account_key,
        spine.cutoff_date,
        count(distinct opportunities.opportunity_id) as opportunities_next
    from spine
    inner join opportunities
        on spine.account_key = opportunities.account_key
        and opportunities.created_on > spine.cutoff_date
        and opportunities.created_on <= spine.label_window_end
    where spine.is_label_complete
    group by spine.account_key, spine.cutoff_date
),

win_labels as (
    select
        spine.account_key,
        spine.cutoff_date,
        count(distinct opportunities.opportunity_id) as wins_next
    from spine
    inner join opportunities
        on spine.account_key = opportunities.account_key
        and opportunities.is_won
        and opportunities.closed_on > spine.cutoff_date
        and opportunities.closed_on <= spine.label_window_end
    where spine.is_label_complete
    group by spine.account_key, spine.cutoff_date
),

final as (
    select
        spine.account_key,
        spine.cutoff_date,
        opportunity_labels.opportunities_next,
        win_labels.wins_next
    from spine
    left join opportunity_labels
        on spine.account_key = opportunity_labels.account_key and spine.cutoff_date = opportunity_labels.cutoff_date
    left join win_labels
        on spine.account_key = win_labels.account_key and spine.cutoff_date = win_labels.cutoff_date
)

select * from final
