{#- The identity task (kizuna.identity) writes schema `identity`. Create its tables,
    empty, when they are missing, so a plain `dbt build` on a new warehouse works before
    the first identity run (every account and lead is then linked only by what dbt can
    do itself). Columns as in kizuna.identity.TABLES. Run as an on-run-start hook. -#}
{% macro create_identity_tables_if_missing() -%}
    {%- if execute -%}
    {%- set text = dbt.type_string() -%}
    {%- set float = 'double precision' -%}
    {%- set int = dbt.type_bigint() -%}
    create schema if not exists identity;
    create table if not exists identity.account_company_links (
        account_id {{ text }}, corporate_number {{ text }}, match_method {{ text }}, match_confidence {{ float }});
    create table if not exists identity.lead_company_links (
        lead_id {{ text }}, corporate_number {{ text }}, match_method {{ text }}, match_confidence {{ float }},
        account_id {{ text }}, prospect_key {{ text }});
    {#- a warehouse made before leads could resolve straight to an account, or before
        leads of unknown companies had a prospect key -#}
    alter table identity.lead_company_links add column if not exists account_id {{ text }};
    alter table identity.lead_company_links add column if not exists prospect_key {{ text }};
    create table if not exists identity.match_candidates (
        record_type {{ text }}, record_id {{ text }}, corporate_number {{ text }}, match_probability {{ float }}, candidate_rank {{ int }});
    {%- endif -%}
{%- endmacro %}
