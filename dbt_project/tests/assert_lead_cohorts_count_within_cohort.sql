{#- A cohort counts each mature lead at most once per outcome: counts within the mature
    leads, which are within the cohort. Returns the rows that break
    this. -#}
select cohort_key
from {{ ref('kpi_lead_cohorts') }}
where mature_leads > leads
    or leads_with_account > leads
    or engaged_leads > mature_leads
    or mqa_account_leads > mature_leads
    or opportunity_leads > mature_leads
    or mqa_account_leads > leads_with_account
    or opportunity_leads > leads_with_account
