{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['emails', 'email_participants', 'email_mailboxes']) }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['email_id']},
    ],
  )
}}
-- The current state of every Gmail message in every mailbox (one row per connection + provider
-- message id), decoded. Incremental on raw_records.txid (macros/watermark.sql): only objects with
-- a raw row newer than the watermark are rebuilt, each from its newest version -- looked up in all
-- of raw_records, so a late re-read of an older version never wins. A tombstone keeps the content
-- of the object's last live version and sets is_deleted. `changed_txid` (the transaction that wrote
-- the row) is the watermark column of the models downstream. An object whose raw rows were
-- deleted (with its connection) becomes a removal marker: `is_removed`, no content, its old
-- email_id kept so the product models rebuild or drop that email; markers are deleted once every
-- product model has read them (macros/versions.sql).
with changed_objects as (

    select distinct connection_id, external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'gmail.message'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('gmail.message') }}
    {% endif %}

),

versions as (

    {{ object_versions('changed_objects', 'gmail.message') }}

),

decoded as (

    select * from {{ ref('stg_gmail__messages') }}
    where raw_id = any(array(select content_raw_id from versions where content_raw_id is not null))

),

heads as (

    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        versions.connection_id,
        coalesce(connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %})
            as tenant_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.email_id
             else {{ stable_uuid(['connections.tenant_id::text', 'decoded.email_key']) }} end as email_id,
        {% else %}
        {{ stable_uuid(['connections.tenant_id::text', 'decoded.email_key']) }} as email_id,
        {% endif %}
        decoded.email_key,
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,

        -- decoded message (NULL for an object never seen alive)
        decoded.provider_message_id,
        decoded.thread_id,
        decoded.labels,
        decoded.message_id_header,
        decoded.subject,
        decoded.in_reply_to,
        decoded."references",
        decoded.date_header,
        decoded.date_header_at,
        decoded.participants,
        decoded.snippet,
        decoded.history_id,
        decoded.body_text,
        decoded.body_html,
        decoded.attachments,
        decoded.attachment_count,
        decoded.signature_phones,
        decoded.sent_at,
        lower(connections.account_id) as mailbox_owner,
        case
            when versions.head_raw_id is null then null
            when decoded.raw_id is null and not versions.is_deleted then 'missing content'
            else decoded.quarantine_reason
        end as quarantine_reason,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on connections.id = versions.connection_id
    left join decoded
        on decoded.raw_id = versions.content_raw_id
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
