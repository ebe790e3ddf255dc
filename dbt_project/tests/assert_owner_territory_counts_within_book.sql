{#- Engaged and qualified accounts are among the accounts owned. Returns
    the rows that break this. -#}
select territory_key
from {{ ref('kpi_owner_territory') }}
where engaged_accounts > accounts_owned
    or mqa_accounts > accounts_owned
    or opportunity_accounts > accounts_owned
    or won_accounts > accounts_owned
