{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['emails', 'email_participants', 'email_mailboxes'], marker='is_removed') }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['email_id']},
      {'columns': ['key_email_id']},
    ],
  )
}}
-- Every mailbox copy of an email from every provider (int_email_copies_unioned) with its final
-- email_id: the canonical-copy rule, applied over all providers' copies of a Message-ID at once.
-- The product email models read only this model.
--
-- A provider gives each copy the key of its Message-ID, md5(tenant | Message-ID) (`key_email_id`
-- here). Copies of one key whose sender or Date disagree are different emails, so an outsider
-- reusing a Message-ID cannot rewrite a tenant's email. The copy the tenant can vouch for -- the
-- sender's own mailbox (sent from it first: copy_rank), else the earliest received -- sets the
-- canonical sender and Date; agreeing copies keep the key, a disagreeing copy gets
-- md5(tenant | Message-ID | sender | Date as UTC ISO 8601). A copy without a Date (a provider that
-- has none) never disagrees on the Date. Which copy is canonical depends on every copy of the key,
-- so a build rebuilds all copies of each key a changed copy has or had; `prior_email_id` names the
-- email a copy left. Incremental on the union's changed_txid (macros/watermark.sql).
with

{% if is_incremental() %}
changed as (

    select
        object_key,
        tenant_id,
        email_id as key_email_id,
        prior_email_id as prior_key_email_id
    from {{ ref('int_email_copies_unioned') }}
    where changed_txid >= {{ watermark_low() }}

),

affected_keys as (

    -- the keys the changed copies have now, had in their provider, or had here
    select key_email_id
    from changed
    where key_email_id is not null
    union
    select prior_key_email_id
    from changed
    where prior_key_email_id is not null
    union
    select known.key_email_id
    from {{ this }} as known
    inner join changed on known.object_key = changed.object_key
    where known.key_email_id is not null

),

wanted as (

    -- the changed copies and every copy of their keys (two index look-ups, not one OR over all copies)
    select object_key from changed
    union
    select copies_of_keys.object_key
    from {{ ref('int_email_copies_unioned') }} as copies_of_keys
    where copies_of_keys.email_id in (select affected_keys.key_email_id from affected_keys)

),

copies as (

    select * from {{ ref('int_email_copies_unioned') }}
    where object_key in (select wanted.object_key from wanted)

),
{% else %}
copies as (

    select * from {{ ref('int_email_copies_unioned') }}

),
{% endif %}

keyed as (

    select
        copies.*,
        -- identity of the copy: who sent it and when it says it was sent
        (select lower(btrim(p ->> 'address')) from jsonb_array_elements(copies.participants) as p
         where p ->> 'role' = 'from'
         order by (p ->> 'ord')::int limit 1) as sender_key,
        to_char(copies.date_header_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as date_key,
        -- the Message-ID as the key was made of it (the key uuid when the copy has none)
        coalesce(substring(copies.message_id_header from '<([^>]+)>'), nullif(btrim(copies.message_id_header), ''),
                 copies.email_id::text) as message_key
    from copies

),

canonical as (

    -- per key: the identity of the copy the tenant can vouch for
    select distinct on (email_id)
        email_id,
        sender_key,
        date_key
    from keyed
    where content_raw_id is not null and quarantine_reason is null and is_removed is not true
    order by email_id, copy_rank, sent_at, connection_id, external_id

),

identified as (

    select
        keyed.*,
        case when keyed.email_id is null or canonical.email_id is null
                  or (keyed.sender_key is not distinct from canonical.sender_key
                      and (keyed.date_key is null or canonical.date_key is null
                           or keyed.date_key = canonical.date_key))
             then keyed.email_id
             else {{ stable_uuid(['keyed.tenant_id::text', 'keyed.message_key', "coalesce(keyed.sender_key, '')",
                                  "coalesce(keyed.date_key, '')"]) }}
        end as identified_email_id
    from keyed
    left join canonical on keyed.email_id = canonical.email_id

),

final as (

    select
        -- ids
        identified.object_key,
        identified.provider,
        identified.connection_id,
        identified.tenant_id,
        identified.external_id,
        identified.content_raw_id,
        {% if is_incremental() %}
        case when identified.is_removed and known.object_key is not null then known.email_id
             else identified.identified_email_id end as email_id,
        case when (known.email_id is distinct from
                  (case when identified.is_removed and known.object_key is not null then known.email_id
                        else identified.identified_email_id end))
             then known.email_id end as prior_email_id,
        {% else %}
        identified.identified_email_id as email_id,
        null::uuid as prior_email_id,
        {% endif %}
        identified.copy_rank,

        -- state of the copy
        identified.is_deleted,
        identified.is_removed,
        identified.quarantine_reason,

        -- the copy in its mailbox
        identified.mailbox_owner,
        identified.provider_message_id,
        identified.thread_id,
        identified.labels,
        identified.history_id,

        -- headers
        identified.message_id_header,
        identified.subject,
        identified.in_reply_to,
        identified."references",
        identified.participants,

        -- body
        identified.snippet,
        identified.body_text,
        identified.body_html,
        identified.attachments,
        identified.attachment_count,
        identified.signature_phones,

        -- timestamps
        identified.sent_at,
        identified.date_header_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- the key the provider gave the copy (md5(tenant | Message-ID))
        identified.email_id as key_email_id

    from identified
    {% if is_incremental() %}
    left join {{ this }} as known on identified.object_key = known.object_key
    {% endif %}

)

select * from final
