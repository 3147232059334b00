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
-- The current state of every toy thing in every toy connection (a mailbox copy of an email), in
-- the columns of the provider-neutral contract (intermediate/_intermediate.yml) plus head_raw_id,
-- which the removal macros read. As int_gmail_messages_latest: incremental on raw_records.txid
-- (macros/watermark.sql), each changed object rebuilt from its newest version; a tombstone keeps
-- the content of its last live version and sets is_deleted; an object whose raw rows were
-- deleted (with its connection) becomes a removal marker keeping its email_id.
--
-- email_id: md5(tenant | Message-ID without brackets), the key Gmail gives a copy agreeing with
-- its canonical copy, so a toy copy and a Gmail copy of one message are one email. The toy keeps
-- no sender/Date identity check of its own (Gmail's canonical-copy rule is per provider).
with changed_objects as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'toy.thing'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('toy.thing') }}
    {% endif %}

),

versions as (

    {{ object_versions('changed_objects', 'toy.thing') }}

),

decoded as (

    select * from {{ ref('stg_toy__things') }}
    where raw_id = any(array(
        select versions.content_raw_id from versions
        where versions.content_raw_id is not null
    ))

),

identified as (

    select
        versions.connection_id,
        versions.external_id,
        -- NULL for an object never seen alive (no content, no email)
        case when decoded.raw_id is not null
             then {{ stable_uuid(['connections.tenant_id::text',
                                  "coalesce(decoded.message_key, 'toy:' || versions.connection_id::text"
                                  ~ " || '/' || versions.external_id)"]) }}
        end as email_id,
        -- 1: the sender's own mailbox (a toy has no SENT label); 2: a recipient's copy
        case when decoded.sender_key = lower(connections.account_id) then 1 else 2 end as copy_rank
    from versions
    left join decoded on versions.content_raw_id = decoded.raw_id
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id

),

heads as (

    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        'toy'::text as provider,
        versions.connection_id,
        coalesce(connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %})
            as tenant_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.email_id else identified.email_id end as email_id,
        case when known.email_id is distinct from
                  (case when versions.head_raw_id is null then known.email_id else identified.email_id end)
             then known.email_id end as prior_email_id,
        {% else %}
        identified.email_id,
        null::uuid as prior_email_id,
        {% endif %}
        identified.copy_rank,

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
        null::text as thread_id,
        null::text [] as labels,
        null::text as history_id,

        -- headers
        decoded.message_id_header,
        decoded.subject,
        null::text as in_reply_to,
        case when decoded.raw_id is not null then '{}'::text [] end as "references",
        decoded.participants,

        -- body
        null::text as snippet,
        null::text as body_text,
        null::text as body_html,
        case when decoded.raw_id is not null then '[]'::jsonb end as attachments,
        case when decoded.raw_id is not null then 0 end as attachment_count,
        case when decoded.raw_id is not null then '{}'::text [] end as signature_phones,

        -- timestamps
        decoded.sent_at,
        null::timestamptz as date_header_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    left join decoded
        on versions.content_raw_id = decoded.raw_id
    left join identified
        on versions.connection_id = identified.connection_id and versions.external_id = identified.external_id
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
