{{ config(materialized='view') }}
-- Every chat message of every connected workspace, from every chat provider, in one
-- provider-neutral column contract (_intermediate.yml): product.chat_messages reads only this model.
-- Each provider's intermediate model (intermediate/<provider>/) keeps one row per message and
-- connection; its branch here maps it to the contract. A new chat provider adds one branch.
with slack as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        chat_message_id,
        workspace_id,
        channel_id,

        -- state of the message
        is_deleted,
        is_removed,
        quarantine_reason,

        -- the message
        channel_name,
        ts,
        thread_ts,
        is_reply,
        author_id,
        author_address,
        author_name,
        text,
        reply_count,

        -- timestamps
        sent_at,
        edited_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_slack_messages_latest') }}

),

unioned as (

    select * from slack

)

select * from unioned
