{#- The scoring formulas, written once: the reporting marts (mart_account_engagement,
    mart_account_scores, kpi_relationship_quality) and the ML features
    (mart_account_features) call these, so a model's inputs are the published scores. -#}

{#- An activity's points decayed by its age: points x 2^(-age_days / half_life_days)
    (half-lives per activity in seed activity_weights). Sum it for the decayed points. -#}
{% macro decayed_points(points, age_days, half_life_days) -%}
    {{ points }} * power(0.5, cast({{ age_days }} as {{ type_double() }}) / {{ half_life_days }})
{%- endmacro %}

{#- The engagement score 0-100 of decayed points: 100 x (1 - 2^(-points / half points)),
    var engagement_score_half_points; negative points score 0. Rounded to 2 places. -#}
{% macro engagement_score(decayed_points) -%}
    {{ round_to(
        '100.0 * (1 - power(0.5, greatest(' ~ decayed_points ~ ', 0) / '
        ~ var('engagement_score_half_points') ~ '))',
        2
    ) }}
{%- endmacro %}

{#- The relationship-quality composite 0-1, as two CTEs after a CTE `measured` of one row
    per `keys` with its components (tenure_days, reproposal_rate, multithreading_contacts,
    reactivations, meeting_acceptance_rate): `component_values` scales each component to 0-1
    by its target (seed relationship_quality_components), and `composite` (keys, composite)
    is their weighted mean, a component the row has no data for (null: no lost deal, no
    meeting) left out. Use inside a `with`:
        {{ relationship_composite('measured', ['account_id']) }},
-#}
{% macro relationship_composite(measured, keys) -%}
component_values as (
    select
        {%- for key in keys %}
        {{ measured }}.{{ key }},
        {%- endfor %}
        components.weight,
        least(1.0, case components.component
            when 'tenure_years' then {{ measured }}.tenure_days / 365.0
            when 'reproposal_after_loss' then {{ measured }}.reproposal_rate
            when 'multithreading_contacts' then {{ measured }}.multithreading_contacts
            when 'reactivations' then {{ measured }}.reactivations
            when 'meeting_acceptance' then {{ measured }}.meeting_acceptance_rate
        end / components.target) as scaled
    from {{ measured }}
    cross join {{ ref('relationship_quality_components') }} as components
),

composite as (
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        {{ safe_divide('sum(weight * scaled)', 'sum(case when scaled is not null then weight end)') }} as composite
    from component_values
    group by {{ keys | join(', ') }}
)
{%- endmacro %}
