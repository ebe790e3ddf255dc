{#- Orphan references: rows that name a key of another entity that was never delivered (an
    account, lead, campaign, product or deal the export left out). Sources deliver
    independently, so the quality gate records these as warnings and the rows are kept;
    this counts them in the current state of staging. The references are the gate's own
    (expectations/<entity>.json, rules on `<column>__in__<entity>.<key>`). -#}
{%- set references = [
    ('crm_contacts', 'stg_crm__contacts', 'account_id', 'crm_accounts', 'stg_crm__accounts', 'account_id'),
    ('crm_opportunities', 'stg_crm__opportunities', 'account_id', 'crm_accounts', 'stg_crm__accounts', 'account_id'),
    ('crm_opportunities', 'stg_crm__opportunities', 'product_id', 'crm_products', 'stg_crm__products', 'product_id'),
    ('crm_opportunity_history', 'stg_crm__opportunity_history', 'opportunity_id',
     'crm_opportunities', 'stg_crm__opportunities', 'opportunity_id'),
    ('crm_contracts', 'stg_crm__contracts', 'account_id', 'crm_accounts', 'stg_crm__accounts', 'account_id'),
    ('crm_contracts', 'stg_crm__contracts', 'product_id', 'crm_products', 'stg_crm__products', 'product_id'),
    ('crm_activities', 'stg_crm__activities', 'account_id', 'crm_accounts', 'stg_crm__accounts', 'account_id'),
    ('crm_activities', 'stg_crm__activities', 'contact_id', 'crm_contacts', 'stg_crm__contacts', 'contact_id'),
    ('ma_activities', 'stg_ma__activities', 'lead_id', 'ma_leads', 'stg_ma__leads', 'lead_id'),
    ('ma_activities', 'stg_ma__activities', 'campaign_id', 'ma_campaigns', 'stg_ma__campaigns', 'campaign_id'),
    ('ma_campaigns', 'stg_ma__campaigns', 'product_id', 'crm_products', 'stg_crm__products', 'product_id'),
    ('firmo_companies', 'stg_firmo__companies', 'parent_corporate_number',
     'firmo_companies', 'stg_firmo__companies', 'corporate_number'),
] -%}
with
{%- for entity, model, column, ref_entity, ref_model, ref_column in references %}

{{ entity }}__{{ column }}__known as (
    select distinct {{ ref_column }} from {{ ref(ref_model) }}
),

{{ entity }}__{{ column }} as (
    select
        '{{ entity }}' as entity,
        '{{ column }}' as column_name,
        '{{ ref_entity }}' as referenced_entity,
        '{{ ref_column }}' as referenced_column,
        count(*) as row_count,
        count(referring.{{ column }}) as rows_with_reference,
        count(
            case when referring.{{ column }} is not null and referenced.{{ ref_column }} is null then 1 end
        ) as orphan_rows,
        count(distinct case when referenced.{{ ref_column }} is null then referring.{{ column }} end) as orphan_keys
    from {{ ref(model) }} as referring
    left join {{ entity }}__{{ column }}__known as referenced
        on referring.{{ column }} = referenced.{{ ref_column }}
),
{%- endfor %}

unioned as (
    {% for entity, model, column, ref_entity, ref_model, ref_column in references[:-1] %}
    select * from {{ entity }}__{{ column }}
    union all
    {% endfor %}
    select * from {{ references[-1][0] }}__{{ references[-1][2] }}
),

final as (
    select
        {{ dbt.concat(["unioned.entity", "'.'", "unioned.column_name"]) }} as reference_key,
        unioned.entity,
        unioned.column_name,
        unioned.referenced_entity,
        unioned.referenced_column,
        unioned.row_count,
        unioned.rows_with_reference,
        unioned.orphan_rows,
        unioned.orphan_keys,
        case
            when unioned.rows_with_reference > 0
                then round(1.0 * unioned.orphan_rows / unioned.rows_with_reference, 4)
        end as orphan_share
    from unioned
)

select * from final
