{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='chat_message_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone
         where gone.chat_message_id in (
             select c.chat_message_id from {{ ref('int_chat_messages_unioned') }} as c
             where c.changed_txid >= {{ watermark_low() }} and c.chat_message_id is not null)
           and not exists (select 1 from {{ ref('int_chat_messages_unioned') }} as m
                           where m.chat_message_id = gone.chat_message_id and m.quarantine_reason is null
                             and m.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['chat_message_id'], 'unique': True},
      {'columns': ['tenant_id', 'sent_at']},
      {'columns': ['tenant_id', 'workspace_id', 'channel_id', 'thread_ts']},
    ],
  )
}}
-- One row per chat message per workspace and tenant, keyed on (tenant, workspace, channel, ts):
-- chat_message_id = md5(tenant | workspace | channel | ts). Replies carry their thread's ts, edits
-- their time, deletions (the provider's tombstones) is_deleted with the last content kept. Each run
-- rebuilds the messages whose copy changed since its watermark; a message no live connection holds
-- any more (its connection deleted) or whose newest version is quarantined is deleted by the
-- post-hook. A workspace connected again after a deletion gives the same keys, so the same rows.
with copies as (

    select * from {{ ref('int_chat_messages_unioned') }}
    where chat_message_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from copies
    {% if is_incremental() %}
    where chat_message_id in (
        select changed.chat_message_id from {{ ref('int_chat_messages_unioned') }} as changed
        where changed.changed_txid >= {{ watermark_low() }}
    )
    {% endif %}

),

representative as (

    -- one copy per key (two only while a re-connected workspace's old copies are being removed):
    -- a live one first, then the newest
    select distinct on (chat_message_id) *
    from affected
    order by chat_message_id asc, is_deleted asc, content_raw_id desc

),

final as (

    select
        -- ids
        chat_message_id,
        tenant_id,
        connection_id,
        provider,
        external_id,
        workspace_id,
        channel_id,
        channel_name,
        ts,
        thread_ts,
        is_reply,

        -- author
        author_id,
        author_address,
        author_name,

        -- content
        text,
        reply_count,
        is_deleted,

        -- timestamps
        sent_at,
        edited_at

    from representative

)

select * from final
