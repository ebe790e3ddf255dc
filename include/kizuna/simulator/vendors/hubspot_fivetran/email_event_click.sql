select
    _day,
    activity_id as id,
    url
from ma_activities
where activity_type = 'email_click'
