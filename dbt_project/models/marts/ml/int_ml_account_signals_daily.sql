{#- The behaviour the ML features count, per ABM account (the company, customer or prospect) and
    local day: web pages by kind, forms, content, e-mail, events by channel, and sales
    touches by outcome. One row per account and day with any activity. -#}
with activities as (
    select * from {{ ref('fct_activities') }}
    where account_key is not null
),

campaigns as (
    select
        campaign_id,
        channel
    from {{ ref('stg_ma__campaigns') }}
),

tagged as (
    select
        activities.account_key,
        activities.occurred_on as activity_date,
        activities.source,
        activities.activity_type,
        activities.url,
        activities.outcome,
        activities.is_two_way,
        campaigns.channel
    from activities
    left join campaigns
        on activities.campaign_id = campaigns.campaign_id
),

final as (
    select
        account_key,
        activity_date,
        sum(
            case when source = 'ma' and activity_type not in ('email_send', 'unsubscribe') then 1 else 0 end
        ) as ma_touches,
        sum(case when activity_type = 'web_visit' then 1 else 0 end) as web_visits,
        sum(case when activity_type = 'web_visit' and url like '%/pricing%' then 1 else 0 end) as pricing_visits,
        sum(case when activity_type = 'web_visit' and url like '%/products/%' then 1 else 0 end) as product_page_visits,
        sum(
            case when activity_type = 'web_visit' and url like '%/case-studies/%' then 1 else 0 end
        ) as case_study_visits,
        sum(case when activity_type = 'form_submit' and url like '%/quote%' then 1 else 0 end) as quote_requests,
        sum(
            case when activity_type = 'form_submit' and (url is null or url not like '%/quote%') then 1 else 0 end
        ) as contact_forms,
        sum(case when activity_type = 'content_download' then 1 else 0 end) as content_downloads,
        sum(case when activity_type = 'email_open' then 1 else 0 end) as email_opens,
        sum(case when activity_type = 'email_click' then 1 else 0 end) as email_clicks,
        sum(case when activity_type = 'unsubscribe' then 1 else 0 end) as unsubscribes,
        sum(case when activity_type = 'event_registration' then 1 else 0 end) as event_registrations,
        sum(
            case when activity_type = 'event_attendance' and channel = 'seminar' then 1 else 0 end
        ) as seminar_attendance,
        sum(
            case when activity_type = 'event_attendance' and channel = 'webinar' then 1 else 0 end
        ) as webinar_attendance,
        sum(case when activity_type = 'business_card_scan' then 1 else 0 end) as card_scans,
        sum(
            case when source = 'crm' and activity_type = 'meeting' and outcome = 'completed' then 1 else 0 end
        ) as meetings_held,
        sum(case when source = 'crm' and activity_type = 'meeting' then 1 else 0 end) as meetings_planned,
        sum(case when source = 'crm' and activity_type = 'call' then 1 else 0 end) as sales_calls,
        sum(case when source = 'crm' and activity_type = 'proposal' then 1 else 0 end) as proposals,
        sum(case when source = 'crm' and is_two_way then 1 else 0 end) as two_way_touches
    from tagged
    group by account_key, activity_date
)

select * from final
