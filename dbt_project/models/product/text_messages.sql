{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='text_message_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as gone
         where gone.text_message_id in (
             select c.text_message_id from {{ ref('int_text_messages_unioned') }} as c
             where c.changed_txid >= {{ watermark_low() }} and c.text_message_id is not null)
           and not exists (select 1 from {{ ref('int_text_messages_unioned') }} as m
                           where m.text_message_id = gone.text_message_id and m.quarantine_reason is null
                             and m.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['text_message_id'], 'unique': True},
      {'columns': ['tenant_id', 'sent_at']},
      {'columns': ['tenant_id', 'from_number']},
      {'columns': ['tenant_id', 'to_number']},
    ],
  )
}}
-- One row per text message (SMS, MMS, WhatsApp) per tenant: text_message_id = md5(tenant | provider |
-- provider id). Numbers in E.164 (default region: var default_phone_region) so they join
-- product.emails.signature_phones and a CRM's contacts; direction inbound / outbound; the status,
-- price and error of the newest version. Deleted at the provider: is_deleted, content kept. Each run
-- rebuilds the messages whose copy changed since its watermark; one no live connection holds any
-- more, or whose newest version is quarantined, is deleted by the post-hook.
with copies as (

    select * from {{ ref('int_text_messages_unioned') }}
    where text_message_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from copies
    {% if is_incremental() %}
    where text_message_id in (
        select changed.text_message_id from {{ ref('int_text_messages_unioned') }} as changed
        where changed.changed_txid >= {{ watermark_low() }}
    )
    {% endif %}

),

representative as (

    -- one copy per key (two only while a re-connected account's old copies are being removed): a
    -- live one first, then the newest
    select distinct on (text_message_id) *
    from affected
    order by text_message_id asc, is_deleted asc, content_raw_id desc

),

final as (

    select
        -- ids
        text_message_id,
        tenant_id,
        connection_id,
        provider,
        external_id,

        -- the message
        direction,
        from_number,
        to_number,
        from_address,
        to_address,
        body,
        status,
        num_segments,
        num_media,
        price,
        price_unit,
        error_code,
        error_message,
        is_deleted,

        -- timestamps
        sent_at,
        created_at,
        updated_at

    from representative

)

select * from final
