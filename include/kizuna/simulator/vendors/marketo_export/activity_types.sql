-- The activity types the export uses, landed with the first activities: Marketo's
-- standard ones, and custom types for what Marketo has no standard activity for.
select
    (select min(_day) from ma_activities) as _day,
    id,
    name,
    description,
    {'name': primary_name, 'dataType': 'string'} as primaryAttribute,
    attributes
from (
    values
    (1, 'Visit Webpage', 'User visits a web page', 'Webpage ID',
     [{'name': 'Webpage URL', 'dataType': 'string'}]),
    (2, 'Fill Out Form', 'User fills out and submits a form', 'Webform ID',
     [{'name': 'Referrer URL', 'dataType': 'string'}]),
    (6, 'Send Email', 'Send a Marketo Email to a person', 'Mailing ID',
     [{'name': 'Campaign Run ID', 'dataType': 'integer'}]),
    (9, 'Unsubscribe Email', 'Person unsubscribes from Marketo Emails', 'Mailing ID',
     [{'name': 'Referrer URL', 'dataType': 'string'}]),
    (10, 'Open Email', 'User opens Marketo Email', 'Mailing ID',
     [{'name': 'Device', 'dataType': 'string'}]),
    (11, 'Click Email', 'User clicks on a link in a Marketo Email', 'Mailing ID',
     [{'name': 'Link', 'dataType': 'string'}]),
    (104, 'Change Status in Progression', 'Change a program status', 'Program ID',
     [{'name': 'New Status', 'dataType': 'string'}, {'name': 'Old Status', 'dataType': 'string'}]),
    (100001, 'Download Content', 'Custom: a person downloads a document', 'Asset ID',
     [{'name': 'Asset', 'dataType': 'string'}]),
    (100002, 'Scan Business Card', 'Custom: a business card exchanged and scanned', 'Card ID',
     [{'name': 'Source', 'dataType': 'string'}]),
    (100003, 'Register for Event', 'Custom: registration outside a program', 'Event ID',
     [{'name': 'Source', 'dataType': 'string'}]),
    (100004, 'Attend Event', 'Custom: attendance outside a program', 'Event ID',
     [{'name': 'Source', 'dataType': 'string'}])
) as t (id, name, description, primary_name, attributes)
