{{ config(materialized='view') }}
-- Every text message (SMS, MMS, WhatsApp) of every connected account, from every messaging provider,
-- in one provider-neutral column contract (_intermediate.yml): product.text_messages reads only this
-- model. Each provider's intermediate model keeps one row per message and connection; its branch
-- here maps it to the contract. A new messaging provider adds one branch.
with twilio as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        text_message_id,

        -- state of the message
        is_deleted,
        is_removed,
        quarantine_reason,

        -- the message
        direction,
        from_number,
        to_number,
        from_address,
        to_address,
        body,
        status,
        num_segments,
        num_media,
        price,
        price_unit,
        error_code,
        error_message,

        -- timestamps
        sent_at,
        created_at,
        updated_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_twilio_messages_latest') }}

),

unioned as (

    select * from twilio

)

select * from unioned
