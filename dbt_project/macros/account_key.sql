{#- The key of an ABM account (a company, customer or prospect): its corporate number
    when the company database knows it, else `crm:` and the CRM account that stands for
    it. Leads of companies known only from their own domain or name carry the identity
    task's prospect key (`domain:...`, `name:...`) instead. -#}
{% macro account_key(corporate_number, crm_account_id) -%}
    coalesce({{ corporate_number }}, {{ dbt.concat(["'crm:'", crm_account_id]) }})
{%- endmacro %}
