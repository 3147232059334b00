{{ config(materialized='view', tags=['quarantine']) }}
-- Outlook events the SQL could not use, in the quarantine column contract (_quarantine.yml):
-- normalize_quarantine unions every model tagged `quarantine`. A newer good version clears it.
with events as (

    select * from {{ ref('int_outlook_events_latest') }}

),

final as (

    select
        content_raw_id as raw_id,
        connection_id,
        tenant_id,
        'outlook.event'::text as resource_type,
        external_id,
        quarantine_reason as reason
    from events
    where quarantine_reason is not null

)

select * from final
