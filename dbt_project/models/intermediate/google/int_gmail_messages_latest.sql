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
      {'columns': ['tenant_id', 'email_key']},
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
--
-- email_id: md5(tenant | Message-ID), the key every provider gives the copies of one Message-ID;
-- the canonical-copy rule (a copy whose sender or Date disagrees with the copy the tenant can vouch
-- for is another email) is applied over every provider's copies in int_email_copies_identified.
-- copy_rank (the sender's own SENT copy first) is what that rule and product.emails rank copies by.
with changed_objects as (

    -- a message changes with a new full version or a new label record (gmail.labels)
    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type in ('gmail.message', 'gmail.labels')
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('gmail.message') }}
    union
    {{ removed_objects('gmail.labels') }}
    {% endif %}

),

versions as (

    {{ object_versions('changed_objects', 'gmail.message') }}

),

decoded as (

    select * from {{ ref('stg_google__gmail_messages') }}
    where raw_id = any(array(
        select versions.content_raw_id from versions
        where versions.content_raw_id is not null
    ))

),

label_records as (

    -- the newest label record (gmail.labels) of each object, if it has any
    select
        versions.connection_id,
        versions.external_id,
        newest.id as labels_raw_id
    from versions
    cross join lateral (
        select r.id
        from {{ source('integrations', 'raw_records') }} as r
        where r.connection_id = versions.connection_id
          and r.resource_type = 'gmail.labels'
          and r.external_id = versions.external_id
        order by r.id desc
        limit 1
    ) as newest

),

current_labels as (

    -- labels (and historyId) of the newest by historyId of the content version and the newest
    -- label record: content comes from the message, labels from whichever Gmail answered last
    select
        versions.connection_id,
        versions.external_id,
        case when {{ history_after('labels.history_id', 'decoded.history_id') }}
             then labels.labels else decoded.labels end as labels,
        case when {{ history_after('labels.history_id', 'decoded.history_id') }}
             then labels.history_id else decoded.history_id end as history_id
    from versions
    left join decoded on versions.content_raw_id = decoded.raw_id
    left join label_records
        on versions.connection_id = label_records.connection_id
       and versions.external_id = label_records.external_id
    left join {{ ref('stg_google__gmail_labels') }} as labels
        on label_records.labels_raw_id = labels.raw_id
       and labels.raw_id = any(array(select wanted.labels_raw_id from label_records as wanted))

),

copies as (

    select
        versions.*,
        decoded.raw_id,
        decoded.tenant_id as copy_tenant_id,
        decoded.email_key,
        current_labels.labels,
        decoded.sent_at,
        decoded.quarantine_reason,
        lower(connections.account_id) as mailbox_owner,
        -- identity of the copy: who sent it and when it says it was sent
        (select lower(btrim(p ->> 'address')) from jsonb_array_elements(decoded.participants) as p
         where p ->> 'role' = 'from'
         order by (p ->> 'ord')::int limit 1) as sender_key
    from versions
    left join decoded on versions.content_raw_id = decoded.raw_id
    left join current_labels
        on versions.connection_id = current_labels.connection_id
       and versions.external_id = current_labels.external_id
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id

),

ranked as (

    select
        *,
        -- 0: the sender's own mailbox, sent from it; 1: the sender's own mailbox; 2: a recipient's
        case when sender_key = mailbox_owner and 'SENT' = any(coalesce(labels, '{}')) then 0
             when sender_key = mailbox_owner then 1
             else 2 end as copy_rank
    from copies

),

identified as (

    select
        ranked.connection_id,
        ranked.external_id,
        ranked.copy_rank,
        ranked.email_key as identity_key
    from ranked

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
             else {{ stable_uuid(['connections.tenant_id::text', 'identified.identity_key']) }} end as email_id,
        case when (known.email_id is distinct from (case when versions.head_raw_id is null then known.email_id
                   else {{ stable_uuid(['connections.tenant_id::text', 'identified.identity_key']) }} end))
             then known.email_id end as prior_email_id,
        {% else %}
        {{ stable_uuid(['connections.tenant_id::text', 'identified.identity_key']) }} as email_id,
        null::uuid as prior_email_id,
        {% endif %}
        decoded.email_key,
        identified.copy_rank,
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,

        -- decoded message (NULL for an object never seen alive)
        decoded.provider_message_id,
        decoded.thread_id,
        -- a tombstone keeps the labels of the last live state, like the content
        case when decoded.raw_id is not null then current_labels.labels end as labels,
        decoded.message_id_header,
        decoded.subject,
        decoded.in_reply_to,
        decoded."references",
        decoded.date_header,
        decoded.date_header_at,
        decoded.participants,
        decoded.snippet,
        case when decoded.raw_id is not null then current_labels.history_id end as history_id,
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
        on versions.connection_id = connections.id
    left join decoded
        on versions.content_raw_id = decoded.raw_id
    left join current_labels
        on versions.connection_id = current_labels.connection_id
       and versions.external_id = current_labels.external_id
    left join identified
        on versions.connection_id = identified.connection_id and versions.external_id = identified.external_id
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
