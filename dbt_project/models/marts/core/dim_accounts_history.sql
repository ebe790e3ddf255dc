{#- Effective-dated CRM accounts: every delivered version (stg_crm__account_versions)
    merged with the snapshot's states, consecutive identical states collapsed. Owner and
    ABM tier as of any date come from here (macro as_of). -#}
with versions as (
    select
        account_id,
        account_name,
        corporate_number,
        domain,
        industry,
        owner,
        abm_tier,
        updated_at,
        'delivered' as version_source
    from {{ ref('stg_crm__account_versions') }}
),

snapshot_states as (
    select
        account_id,
        account_name,
        corporate_number,
        domain,
        industry,
        owner,
        abm_tier,
        dbt_valid_from as updated_at,
        'snapshot' as version_source
    from {{ ref('snap_crm__accounts') }}
),

combined as (
    select * from versions
    union all
    select * from snapshot_states
),

deduplicated as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by account_id, updated_at
                order by case when version_source = 'delivered' then 0 else 1 end
            ) as source_rank
        from combined
    ) as ranked
    where source_rank = 1
),

signed as (
    select
        *,
        {{ dbt.concat(["coalesce(account_name, '')", "'|'", "coalesce(corporate_number, '')", "'|'",
                       "coalesce(domain, '')", "'|'", "coalesce(industry, '')", "'|'",
                       "coalesce(owner, '')", "'|'", "coalesce(abm_tier, '')"]) }} as state_signature
    from deduplicated
),

changes as (
    select *
    from (
        select
            *,
            lag(state_signature) over (partition by account_id order by updated_at) as previous_signature
        from signed
    ) as compared
    where previous_signature is null or previous_signature <> state_signature
),

intervals as (
    select
        *,
        {{ versions_to_intervals('account_id', 'updated_at') }}
    from changes
),

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
        valid_to is null as is_current,
        version_source
    from intervals
)

select * from final
