{#- The CRM opportunities with the ABM account of their primary CRM account: deals stay on
    CRM accounts, and the ML feature families (deals, labels) reach them this way.
    Ephemeral: inlined where it is used. -#}
{{ config(materialized='ephemeral') }}

with abm_accounts as (
    select
        account_key,
        crm_account_id
    from {{ ref('dim_abm_accounts') }}
    where crm_account_id is not null
),

final as (
    select
        abm_accounts.account_key,
        deals.*
    from {{ ref('fct_opportunities') }} as deals
    inner join abm_accounts
        on deals.primary_account_id = abm_accounts.crm_account_id
)

-- every column of fct_opportunities, as it publishes them
select * from final -- noqa: AM04
