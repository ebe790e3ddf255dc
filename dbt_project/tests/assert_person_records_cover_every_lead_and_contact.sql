{#- Every MA lead and every CRM contact is in the person bridge exactly once: returns the
    records missing from it or in it more than once. -#}
with expected as (
    select
        'ma_lead' as record_type,
        lead_id as record_id
    from {{ ref('stg_ma__leads') }}

    union all

    select
        'crm_contact' as record_type,
        contact_id as record_id
    from {{ ref('stg_crm__contacts') }}
),

bridged as (
    select
        record_type,
        record_id,
        count(*) as n_rows
    from {{ ref('int_person_records') }}
    group by record_type, record_id
),

final as (
    select
        expected.record_type,
        expected.record_id,
        coalesce(bridged.n_rows, 0) as n_rows
    from expected
    left join bridged
        on expected.record_type = bridged.record_type
        and expected.record_id = bridged.record_id
    where coalesce(bridged.n_rows, 0) <> 1
)

select * from final
