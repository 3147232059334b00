{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['int_email_copies_identified', 'emails', 'email_participants',
                                          'email_mailboxes']) }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['email_id']},
      {'columns': ['connection_id', 'parent_folder_id']},
    ],
  )
}}
-- The current state of every Outlook message in every mailbox (one row per connection + Graph
-- immutable message id), typed, in the provider-neutral columns (intermediate/_intermediate.yml)
-- plus head_raw_id, email_key and parent_folder_id. Incremental on raw_records.txid like
-- int_gmail_messages_latest: a changed object is rebuilt from its newest version, a tombstone keeps
-- the content of the last live version and sets is_deleted, an object whose raw rows were deleted
-- becomes a removal marker keeping its email_id.
--
-- labels: the displayName of the message's folder (the newest version of that folder in the same
-- connection; the folder id when the folder is unknown), then its categories. A moved message is a
-- new version with another parentFolderId; a renamed folder rebuilds the messages in it.
--
-- email_id: md5(tenant | Message-ID without brackets), the key copies of one Message-ID share
-- across providers; which copies agree with the canonical one is decided over every provider's
-- copies downstream.
with changed_raw as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'outlook.message'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('outlook.message') }}
    {% endif %}

),

changed_objects as (

    select
        connection_id,
        external_id
    from changed_raw
    {% if is_incremental() %}
    union
    -- the messages of a folder that changed (renamed): their labels change
    select
        known.connection_id,
        known.external_id
    from {{ this }} as known
    inner join {{ source('integrations', 'raw_records') }} as folders
        on known.connection_id = folders.connection_id
       and known.parent_folder_id = folders.external_id
    where folders.resource_type = 'outlook.mail_folder'
      and folders.txid >= {{ watermark_low() }}
      and known.head_raw_id is not null
    {% endif %}

),

versions as (

    {{ object_versions('changed_objects', 'outlook.message') }}

),

decoded as (

    select * from {{ ref('stg_microsoft__messages') }}
    where raw_id = any(array(
        select versions.content_raw_id from versions
        where versions.content_raw_id is not null
    ))

),

folders as (

    -- the newest version of each folder the decoded messages are in
    select distinct on (folder.connection_id, folder.folder_id)
        folder.connection_id,
        folder.folder_id,
        folder.display_name
    from {{ ref('stg_microsoft__mail_folders') }} as folder
    inner join decoded
        on folder.connection_id = decoded.connection_id and folder.folder_id = decoded.parent_folder_id
    order by folder.connection_id asc, folder.folder_id asc, folder.raw_id desc

),

heads as (

    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        'microsoft'::text as provider,
        versions.connection_id,
        coalesce(connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %}) as tenant_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        {% set new_email_id = "case when decoded.raw_id is not null then "
                              ~ stable_uuid(['connections.tenant_id::text', 'decoded.email_key']) ~ " end" %}
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.email_id else {{ new_email_id }} end as email_id,
        case when (known.email_id is distinct from
                  (case when versions.head_raw_id is null then known.email_id else {{ new_email_id }} end))
             then known.email_id end as prior_email_id,
        {% else %}
        {{ new_email_id }} as email_id,
        null::uuid as prior_email_id,
        {% endif %}
        -- 0: the sender's own mailbox, sent from it; 1: the sender's own mailbox (a draft); 2: a recipient's
        case when sender.address = lower(connections.account_id) and not decoded.is_draft then 0
             when sender.address = lower(connections.account_id) then 1
             else 2 end as copy_rank,

        -- state of the copy
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,
        case
            when versions.head_raw_id is null then null
            when decoded.raw_id is null and not versions.is_deleted then 'missing content'
            else decoded.quarantine_reason
        end as quarantine_reason,

        -- the copy in its mailbox
        lower(connections.account_id) as mailbox_owner,
        decoded.provider_message_id,
        decoded.thread_id,
        case when decoded.raw_id is not null
             then array_remove(array[coalesce(folders.display_name, decoded.parent_folder_id)], null)
                  || decoded.categories end as labels,
        null::text as history_id,

        -- headers
        decoded.message_id_header,
        decoded.subject,
        decoded.in_reply_to,
        decoded."references",
        decoded.participants,

        -- body
        decoded.snippet,
        decoded.body_text,
        decoded.body_html,
        decoded.attachments,
        decoded.attachment_count,
        decoded.signature_phones,

        -- timestamps
        decoded.sent_at,
        decoded.date_header_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- Outlook's own
        decoded.email_key,
        decoded.parent_folder_id

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    left join decoded
        on versions.content_raw_id = decoded.raw_id
    left join folders
        on decoded.connection_id = folders.connection_id and decoded.parent_folder_id = folders.folder_id
    left join lateral (
        select lower(btrim(p ->> 'address')) as address
        from jsonb_array_elements(decoded.participants) as p
        where p ->> 'role' = 'from'
        order by (p ->> 'ord')::int
        limit 1
    ) as sender on true
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
