{{ config(materialized='view') }}
-- Raw records the SQL could not use, with the reason. They are left out of the product tables;
-- everything else is normalized. A newer good version of the object clears its entry.
select
    content_raw_id as raw_id,
    connection_id,
    tenant_id,
    'gmail.message' as resource_type,
    external_id,
    quarantine_reason as reason
from {{ ref('int_gmail_messages_latest') }}
where quarantine_reason is not null

union all

select
    content_raw_id as raw_id,
    connection_id,
    tenant_id,
    'calendar.event' as resource_type,
    external_id,
    quarantine_reason as reason
from {{ ref('int_calendar_events_latest') }}
where quarantine_reason is not null
