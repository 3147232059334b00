{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['text_messages']) }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['text_message_id']},
    ],
  )
}}
-- The current state of every Twilio message (SMS, MMS, WhatsApp) of every connected account, one
-- row per connection + message sid, in the columns of int_text_messages_unioned plus head_raw_id
-- and Twilio's own ids. Incremental on raw_records.txid like the email models: a changed message
-- (its status, price and error keep changing after it is sent, so the sync re-reads it) is rebuilt
-- from its newest version; a tombstone (deleted at Twilio, found by reconcile) keeps the content of
-- the last live version and sets is_deleted; an object whose raw rows were deleted becomes a
-- removal marker keeping its text_message_id.
--
-- direction: inbound / outbound (macros/twilio.sql); from_number / to_number: E.164 in the default
-- region, NULL for what is no phone number (a short code, a sender id), whose address stays in
-- from_address / to_address. text_message_id: md5(tenant | twilio | sid).
with changed_raw as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'twilio.message'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('twilio.message') }}
    {% endif %}

),

versions as (

    {{ object_versions('changed_raw', 'twilio.message') }}

),

heads as (

    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        'twilio'::text as provider,
        versions.connection_id,
        coalesce(decoded.tenant_id, connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %})
            as tenant_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        {% set new_id = "case when decoded.raw_id is not null then "
                         ~ stable_uuid(['decoded.tenant_id::text', "'twilio'", 'decoded.external_id']) ~ " end" %}
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.text_message_id else {{ new_id }} end as text_message_id,
        {% else %}
        {{ new_id }} as text_message_id,
        {% endif %}

        -- state of the message
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,
        case
            when versions.head_raw_id is null then null
            when decoded.raw_id is null and not versions.is_deleted then 'missing content'
            when decoded.quarantine_reason is not null then decoded.quarantine_reason
            when {{ twilio_direction('decoded.provider_direction') }} is null
                then 'unknown direction: ' || coalesce(left(decoded.provider_direction, 40), 'none')
        end as quarantine_reason,

        -- the message
        {{ twilio_direction('decoded.provider_direction') }} as direction,
        decoded.provider_direction,
        {{ twilio_number('decoded.from_address') }} as from_number,
        {{ twilio_number('decoded.to_address') }} as to_number,
        decoded.from_address,
        decoded.to_address,
        decoded.body,
        decoded.status,
        decoded.num_segments,
        decoded.num_media,
        decoded.price,
        decoded.price_unit,
        decoded.error_code,
        decoded.error_message,

        -- timestamps
        decoded.sent_at,
        decoded.created_at,
        decoded.updated_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- Twilio's own
        decoded.account_sid,
        decoded.messaging_service_sid

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    -- an index look-up per object, never a join between sets whose size the planner guesses (right
    -- after a large backfill raw_records has no statistics)
    left join lateral (
        select decoded_version.* from {{ ref('stg_twilio__messages') }} as decoded_version
        where decoded_version.raw_id = versions.content_raw_id
    ) as decoded on true
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
