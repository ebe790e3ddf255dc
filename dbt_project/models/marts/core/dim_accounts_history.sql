{#- Effective-dated CRM accounts: every delivered version (stg_crm__account_versions)
    merged with the snapshot's states, consecutive identical states collapsed. Owner and
    ABM tier as of any date come from here (macro as_of). -#}
with {{ scd_intervals(
    'account_id',
    ['account_name', 'corporate_number', 'domain', 'industry', 'owner', 'abm_tier'],
    ref('stg_crm__account_versions'),
    ref('snap_crm__accounts'),
) }},

final as (
    select
        {{ dbt.concat(["account_id", "'@'", "cast(valid_from as " ~ dbt.type_string() ~ ")"]) }} as account_history_key,
        account_id,
        account_name,
        corporate_number as corporate_number_entered,
        domain,
        industry,
        owner,
        abm_tier,
        valid_from,
        valid_to,
        is_current,
        version_source
    from intervals
)

select * from final
