{#- People without their personal data, one row per person (restricted_persons), the
    e-mail of the record that describes them as its keyed hash. -#}
with persons as (
    select * from {{ ref('restricted_persons') }}
),

final as (
    select
        person_key,
        contact_id,
        email_hash,
        account_key,
        lead_count,
        contact_count,
        account_count
    from persons
)

select * from final
