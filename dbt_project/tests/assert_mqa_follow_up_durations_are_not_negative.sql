{#- Time runs forward: an MQA's first engagement comes on or before its qualification,
    and the first touch and opportunity counted for it after. Returns the rows that break
    this. -#}
select
    mqa_event_key,
    days_to_mqa,
    days_to_first_touch,
    days_to_opportunity
from {{ ref('kpi_mqa_follow_up') }}
where days_to_mqa < 0
    or days_to_first_touch < 1
    or days_to_opportunity < 1
    or first_touch_due_on < qualified_on
    or opportunity_due_on < qualified_on
