{{ config(materialized='view', tags=['quarantine']) }}
-- Gmail messages the SQL could not use, in the quarantine column contract (_quarantine.yml):
-- normalize_quarantine unions every model tagged `quarantine`. A newer good version of the
-- message clears its entry.
with messages as (

    select * from {{ ref('int_gmail_messages_latest') }}

),

final as (

    select
        content_raw_id as raw_id,
        connection_id,
        tenant_id,
        'gmail.message'::text as resource_type,
        external_id,
        quarantine_reason as reason
    from messages
    where quarantine_reason is not null

)

select * from final
