toy as (

    -- the toy's copies, in the contract's columns and order (intermediate/_intermediate.yml)
    select
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        email_id,
        prior_email_id,
        copy_rank,
        is_deleted,
        is_removed,
        quarantine_reason,
        mailbox_owner,
        provider_message_id,
        thread_id,
        labels,
        history_id,
        message_id_header,
        subject,
        in_reply_to,
        "references",
        participants,
        snippet,
        body_text,
        body_html,
        attachments,
        attachment_count,
        signature_phones,
        sent_at,
        date_header_at,
        changed_txid
    from {{ ref('int_toy_things_latest') }}

),

