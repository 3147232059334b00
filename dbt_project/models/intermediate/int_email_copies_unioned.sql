{{ config(materialized='view') }}
-- Every mailbox copy of an email, from every email provider, in one provider-neutral column
-- contract (_intermediate.yml): the product email models read only this model. Each provider's
-- intermediate model (intermediate/<provider>/) keeps one row per copy with its own identity
-- rules; its branch here maps it to the contract. A new email provider adds one branch.
with gmail as (

    select
        -- ids
        object_key,
        'google'::text as provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        email_id,
        prior_email_id,
        copy_rank,

        -- state of the copy
        is_deleted,
        is_removed,
        quarantine_reason,

        -- the copy in its mailbox
        mailbox_owner,
        provider_message_id,
        thread_id,
        labels,
        history_id,

        -- headers
        message_id_header,
        subject,
        in_reply_to,
        "references",
        participants,

        -- body
        snippet,
        body_text,
        body_html,
        attachments,
        attachment_count,
        signature_phones,

        -- timestamps
        sent_at,
        date_header_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_gmail_messages_latest') }}

),

outlook as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        email_id,
        prior_email_id,
        copy_rank,

        -- state of the copy
        is_deleted,
        is_removed,
        quarantine_reason,

        -- the copy in its mailbox
        mailbox_owner,
        provider_message_id,
        thread_id,
        labels,
        history_id,

        -- headers
        message_id_header,
        subject,
        in_reply_to,
        "references",
        participants,

        -- body
        snippet,
        body_text,
        body_html,
        attachments,
        attachment_count,
        signature_phones,

        -- timestamps
        sent_at,
        date_header_at,

        -- run bookkeeping
        changed_txid

    from {{ ref('int_outlook_messages_latest') }}

),

unioned as (

    select * from gmail
    union all
    select * from outlook

)

select * from unioned
