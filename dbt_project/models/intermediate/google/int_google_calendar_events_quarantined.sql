{{ config(materialized='view', tags=['quarantine']) }}
-- Google Calendar events the SQL could not use, in the quarantine column contract
-- (_quarantine.yml): normalize_quarantine unions every model tagged `quarantine`. A newer good
-- version of the event clears its entry.
with events as (

    select * from {{ ref('int_google_calendar_events_latest') }}

),

final as (

    select
        content_raw_id as raw_id,
        connection_id,
        tenant_id,
        'calendar.event'::text as resource_type,
        external_id,
        quarantine_reason as reason
    from events
    where quarantine_reason is not null

)

select * from final
