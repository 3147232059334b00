{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='email_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone where gone.email_id in ({{ changed_email_ids() }})
         and not exists (select 1 from {{ ref('int_email_copies_identified') }} as m
                         where m.email_id = gone.email_id and m.quarantine_reason is null
                           and m.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['email_id'], 'unique': True},
      {'columns': ['tenant_id', 'sent_at']},
      {'columns': ['tenant_id', 'message_id_header']},
    ],
  )
}}
-- One row per email per tenant: the same message in two mailboxes is one row, keyed by its
-- RFC 5322 Message-ID (the provider id when it has none). Each run rebuilds the emails touched by
-- a changed mailbox row from all mailboxes holding them, so the result never depends on the order
-- the mailboxes were synced in (an incremental run equals a full refresh). An email no mailbox
-- holds any more (its only copies came from a deleted connection) is deleted by the post-hook.
with mailbox_messages as (

    select * from {{ ref('int_email_copies_identified') }}
    where email_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from mailbox_messages
    {% if is_incremental() %}
    where email_id in ({{ changed_email_ids() }})
    {% endif %}

),

per_email as (

    -- which mailboxes hold it, and whether it is gone from every one of them
    select
        email_id,
        array_agg(distinct mailbox_owner) as mailbox_owners,
        bool_and(is_deleted) as is_deleted,
        count(*) as mailbox_count
    from affected
    group by email_id

),

representative as (

    -- the copy the columns come from: a live one first, then the sender's own (SENT) copy, then the
    -- earliest received (a later copy agreeing in sender and Date never replaces the tenant's own)
    select distinct on (email_id) *
    from affected
    order by email_id, is_deleted, copy_rank, sent_at, object_key

),

addresses as (

    select
        representative.email_id,
        (select p from jsonb_array_elements(representative.participants) as p
         where p ->> 'role' = 'from'
         order by (p ->> 'ord')::int limit 1) as sender,
        array(select lower(p ->> 'address') from jsonb_array_elements(representative.participants) as p
              where p ->> 'role' in ('to', 'cc', 'bcc')) as recipients
    from representative

),

final as (

    select
        -- ids
        representative.email_id,
        representative.tenant_id,
        representative.message_id_header,
        representative.thread_id,
        representative.object_key as source_object_key,

        -- headers
        representative.subject,
        lower(addresses.sender ->> 'address') as from_address,
        nullif(addresses.sender ->> 'display_name', '') as from_name,
        representative.in_reply_to,
        representative."references",

        -- body
        representative.snippet,
        representative.body_text,
        representative.body_html,
        representative.attachment_count,
        representative.attachments,
        -- E.164 in the default region (var default_phone_region); a number that cannot be one is left out
        {{ e164_array('representative.signature_phones') }} as signature_phones,

        -- relative to the mailbox owners holding it: internal when sender and every recipient
        -- share an owner's domain, outbound when an owner sent it, inbound otherwise
        case
            when split_part(lower(addresses.sender ->> 'address'), '@', 2)
                     = any(array(select split_part(o, '@', 2) from unnest(per_email.mailbox_owners) as o))
                 and cardinality(addresses.recipients) > 0
                 and not exists (
                     select 1 from unnest(addresses.recipients) as r
                     where split_part(r, '@', 2) <> all(array(select split_part(o, '@', 2)
                                                             from unnest(per_email.mailbox_owners) as o)))
                then 'internal'
            when lower(addresses.sender ->> 'address') = any(per_email.mailbox_owners) then 'outbound'
            else 'inbound'
        end as direction,

        -- mailboxes
        per_email.mailbox_count,
        per_email.is_deleted,

        -- timestamps
        representative.sent_at,
        representative.date_header_at

    from representative
    inner join per_email on representative.email_id = per_email.email_id
    inner join addresses on representative.email_id = addresses.email_id

)

select * from final
