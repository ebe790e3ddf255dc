{#- The stage and amount of every deal over time: each change valid until the next. -#}
with history as (
    select * from {{ ref('stg_crm__opportunity_history') }}
),

data_date as (
    select data_date from {{ ref('int_data_date') }}
),

opportunities as (
    select opportunity_id from {{ ref('stg_crm__opportunities') }}
),

intervals as (
    select
        opportunity_id,
        stage,
        amount_jpy,
        {{ versions_to_intervals('opportunity_id', 'changed_at') }},
        row_number() over (partition by opportunity_id order by changed_at) as change_number
    from history
),

final as (
    select
        {{ dbt.concat([
            "intervals.opportunity_id", "'@'", "cast(intervals.valid_from as " ~ dbt.type_string() ~ ")"
        ]) }} as stage_history_key,
        intervals.opportunity_id,
        intervals.change_number,
        intervals.stage,
        case intervals.stage
            when 'prospecting' then 1
            when 'qualification' then 2
            when 'proposal' then 3
            when 'negotiation' then 4
            else 5
        end as stage_order,
        intervals.amount_jpy,
        intervals.valid_from,
        intervals.valid_to,
        intervals.valid_to is null as is_current,
        case
            when intervals.stage in ('closed_won', 'closed_lost') then null
            else {{ days_between(local_date('intervals.valid_from'),
                                 'coalesce(' ~ local_date('intervals.valid_to') ~ ', data_date.data_date)') }}
        end as days_in_stage,
        -- false when the deal itself was never delivered (its history is kept)
        opportunities.opportunity_id is not null as has_known_opportunity
    from intervals
    cross join data_date
    left join opportunities
        on intervals.opportunity_id = opportunities.opportunity_id
)

select * from final
