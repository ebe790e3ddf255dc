{#- Every MQA of an owner's month is either decided (touched, or its deadline passed) or
    still open; shares lie in [0, 1] and durations are not negative. Returns the rows that
    break this. -#}
select owner_month_key
from {{ ref('kpi_mqa_follow_up_by_owner') }}
where first_touch_due_mqas + first_touch_open_mqas <> mqas
    or opportunity_due_mqas + opportunity_open_mqas <> mqas
    or touched_within_sla_mqas > first_touch_due_mqas
    or opportunity_within_sla_mqas > opportunity_due_mqas
    or first_touch_sla_rate < 0 or first_touch_sla_rate > 1
    or opportunity_sla_rate < 0 or opportunity_sla_rate > 1
    or median_days_to_mqa < 0 or avg_days_to_mqa < 0
    or median_days_to_first_touch < 1 or avg_days_to_first_touch < 1
    or median_days_to_opportunity < 1 or avg_days_to_opportunity < 1
