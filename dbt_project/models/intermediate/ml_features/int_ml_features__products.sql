{#- One row per ABM account per ML cutoff (int_ml_account_cutoffs): the contracts of its
    primary CRM account started by the cutoff (products owned, ARR, renewal) and what
    could still be sold (mart_account_product_features); null when none. A feature family
    of mart_account_features. -#}
with spine as (
    select * from {{ ref('int_ml_account_cutoffs') }}
),

product_states as (
    select * from {{ ref('mart_account_product_features') }}
),

-- deals and contracts stay on CRM accounts: reached through the ABM account of their
-- primary account
abm_accounts as (
    select
        account_key,
        crm_account_id
    from {{ ref('dim_abm_accounts') }}
    where crm_account_id is not null
),

contracts as (
    select
        abm_accounts.account_key,
        terms.*
    from {{ ref('fct_contracts') }} as terms
    inner join abm_accounts
        on terms.primary_account_id = abm_accounts.crm_account_id
),

-- contracts started by the cutoff (a term's dates are known when it is signed)
contracts_at_cutoff as (
    select
        spine.account_key,
        spine.cutoff_date,
        min(contracts.started_on) as customer_since,
        count(
            distinct case when contracts.ended_on >= spine.cutoff_date then contracts.product_id end
        ) as products_owned,
        sum(case when contracts.ended_on >= spine.cutoff_date then contracts.annual_amount_jpy else 0 end) as arr_jpy,
        max(
            case
                when contracts.ended_on >= spine.cutoff_date and contracts.product_family = 'platform' then 1 else 0
            end
        ) as owns_platform,
        count(
            distinct case
                when contracts.ended_on >= spine.cutoff_date and contracts.product_family = 'add_on'
                    then contracts.product_id
            end
        ) as add_ons_owned,
        max(
            case
                when contracts.ended_on >= spine.cutoff_date and contracts.product_family = 'services' then 1 else 0
            end
        ) as owns_services,
        min(
            case
                when contracts.ended_on >= spine.cutoff_date
                    then {{ days_between('spine.cutoff_date', 'contracts.ended_on') }}
            end
        ) as days_to_renewal
    from spine
    inner join contracts
        on spine.account_key = contracts.account_key
        and contracts.started_on <= spine.cutoff_date
    group by spine.account_key, spine.cutoff_date
),

-- what could still be sold: products neither owned (nor included in one owned) nor
-- under an open deal
eligibility as (
    select
        account_id,
        cutoff_date,
        sum(
            case when is_owned = 0 and is_included = 0 and open_opportunities = 0 then 1 else 0 end
        ) as eligible_products,
        sum(
            case
                when is_owned = 0 and is_included = 0 and open_opportunities = 0 and product_family = 'add_on'
                    then 1
                else 0
            end
        ) as eligible_add_ons,
        sum(case when days_since_lost < 90 then 1 else 0 end) as products_lost_90d,
        sum(case when was_owned = 1 then 1 else 0 end) as products_churned
    from product_states
    group by account_id, cutoff_date
),

final as (
    select
        spine.account_key,
        spine.cutoff_date,
        contracts_at_cutoff.customer_since,
        contracts_at_cutoff.products_owned,
        contracts_at_cutoff.arr_jpy,
        contracts_at_cutoff.owns_platform,
        contracts_at_cutoff.add_ons_owned,
        contracts_at_cutoff.owns_services,
        contracts_at_cutoff.days_to_renewal,
        eligibility.eligible_products,
        eligibility.eligible_add_ons,
        eligibility.products_lost_90d,
        eligibility.products_churned
    from spine
    left join contracts_at_cutoff
        on spine.account_key = contracts_at_cutoff.account_key and spine.cutoff_date = contracts_at_cutoff.cutoff_date
    left join eligibility
        on spine.account_id = eligibility.account_id and spine.cutoff_date = eligibility.cutoff_date
)

select * from final
