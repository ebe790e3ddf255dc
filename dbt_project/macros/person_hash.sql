{#- A keyed hash of a personal value (an e-mail address, a phone number): the hex SHA-256
    of the project's secret followed by the value normalised (trimmed, lower case); null
    for a null or blank value. The same value hashes alike in every model and on every
    warehouse, so BI joins people by it without seeing them; without the secret nobody can
    hash a list of known addresses to find who is who. The secret is KIZUNA_HASH_SECRET
    (the demo's default below is public: set your own, and keep it when you rebuild, or
    every hash changes). -#}
{% macro person_hash(value) -%}
    {{ return(adapter.dispatch('person_hash', 'kizuna')(value)) }}
{%- endmacro %}

{#- kizuna.bi.person_hash computes the same in Python (set empty: the demo's default). -#}
{% macro person_hash_secret() -%}
    {{ return((env_var('KIZUNA_HASH_SECRET', '') or 'kizuna-demo-hash-secret') | replace("'", "''")) }}
{%- endmacro %}

{% macro default__person_hash(value) -%}
    case when nullif(trim({{ value }}), '') is not null
        then sha256({{ dbt.concat(["'" ~ person_hash_secret() ~ "'", "lower(trim(" ~ value ~ "))"]) }})
    end
{%- endmacro %}

{% macro postgres__person_hash(value) -%}
    case when nullif(trim({{ value }}), '') is not null
        then encode(sha256(convert_to(
            {{ dbt.concat(["'" ~ person_hash_secret() ~ "'", "lower(trim(" ~ value ~ "))"]) }},
            'UTF8')), 'hex')
    end
{%- endmacro %}
