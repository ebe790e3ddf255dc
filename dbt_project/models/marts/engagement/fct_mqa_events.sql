{#- Marketing qualified accounts as events: one row per ABM account (customer or
    prospect) per stretch of weeks in
    which it stayed qualified, with the scoring date it qualified on (and dropped out on),
    so hand-offs to sales can be counted by month and followed up. -#}
with scores as (
    select * from {{ ref('mart_account_scores') }}
),

flagged as (
    select
        *,
        case
            when is_mqa and not coalesce(lag(is_mqa) over (partition by account_key order by as_of_date), false)
                then 1
            else 0
        end as starts_episode,
        case
            when not is_mqa and coalesce(lag(is_mqa) over (partition by account_key order by as_of_date), false)
                then 1
            else 0
        end as ends_episode
    from scores
),

numbered as (
    select
        *,
        sum(starts_episode) over (
            partition by account_key order by as_of_date rows between unbounded preceding and current row
        ) as episode
    from flagged
),

episodes as (
    select
        account_key,
        episode,
        min(case when is_mqa then as_of_date end) as qualified_on,
        min(case when not is_mqa then as_of_date end) as disqualified_on
    from numbered
    where episode > 0
    group by account_key, episode
),

at_qualification as (
    select
        episodes.account_key,
        scores.account_id,
        episodes.episode,
        episodes.qualified_on,
        episodes.disqualified_on,
        scores.fit_score,
        scores.engagement_score,
        scores.grade,
        scores.engaged_people_90d,
        scores.buying_group_coverage
    from episodes
    inner join scores
        on episodes.account_key = scores.account_key
        and episodes.qualified_on = scores.as_of_date
),

final as (
    select
        {{ dbt.concat(["account_key", "'@'", "cast(qualified_on as " ~ dbt.type_string() ~ ")"]) }} as mqa_event_key,
        account_key,
        -- the primary CRM account, null for a prospect
        account_id,
        episode as qualification_number,
        qualified_on,
        {{ month_start('qualified_on') }} as qualified_month,
        disqualified_on,
        disqualified_on is null as is_current_mqa,
        fit_score,
        engagement_score,
        grade,
        engaged_people_90d,
        buying_group_coverage
    from at_qualification
)

select * from final
