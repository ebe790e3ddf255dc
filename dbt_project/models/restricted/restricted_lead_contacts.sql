{#- The personal data of MA leads (e-mail, name, department, title, phone), kept out of the
    marts: dim_leads carries the lead's email_hash instead. For activation and for people
    with a need to know; BI tools are never given this schema. -#}
with leads as (
    select * from {{ ref('stg_ma__leads') }}
),

final as (
    select
        lead_id,
        {{ person_hash('email') }} as email_hash,
        email,
        last_name,
        first_name,
        department,
        job_title,
        phone,
        updated_at
    from leads
)

select * from final
