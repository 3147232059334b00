{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='mailbox_message_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone using {{ ref('int_email_copies_identified') }} as m
         where m.changed_txid >= {{ watermark_low() }}
           and (m.is_removed or m.quarantine_reason is not null)
           and gone.mailbox_message_id = {{ stable_uuid(['m.connection_id::text', 'm.external_id']) }}",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['mailbox_message_id'], 'unique': True},
      {'columns': ['email_id']},
      {'columns': ['connection_id', 'thread_id']},
    ],
  )
}}
-- Which mailbox (connection) holds which email: provider message id, thread, labels, and a deleted
-- flag driven by the provider's tombstones. An email deleted from every mailbox keeps its rows, flagged.
-- A mailbox row whose message was removed (its connection deleted) or quarantined is deleted.
with mailbox_messages as (

    select * from {{ ref('int_email_copies_identified') }}
    where email_id is not null
      and quarantine_reason is null
      and is_removed is not true
    {% if is_incremental() %}
      and changed_txid >= {{ watermark_low() }}
    {% endif %}

),

final as (

    select
        -- ids
        {{ stable_uuid(['connection_id::text', 'external_id']) }} as mailbox_message_id,
        email_id,
        tenant_id,
        connection_id,
        provider,
        provider_message_id,
        thread_id,

        -- state in this mailbox
        labels,
        is_deleted,
        history_id,
        mailbox_owner

    from mailbox_messages

)

select * from final
