-- One row per stored Outlook message version (Graph `GET /me/messages/{id}` with the $select the
-- sync uses), typed: the Message-ID (internetMessageId, else the Message-ID header), In-Reply-To and
-- References from internetMessageHeaders, participants from the Graph recipient objects, the body
-- (an HTML-only body also as text, through the helper Gmail uses), ISO 8601 dates. Pure function
-- of each raw row: callers filter on raw_id. Any field of the wrong JSON type reads as missing,
-- so one malformed payload is quarantined instead of failing the model.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'outlook.message'

),

renamed as (

    select
        -- ids
        source.id as raw_id,
        source.connection_id,
        source.tenant_id,
        source.external_id,
        source.is_deleted,
        case when jsonb_typeof(source.payload -> 'id') = 'string' then source.payload ->> 'id' end
            as provider_message_id,
        case when jsonb_typeof(source.payload -> 'conversationId') = 'string'
             then source.payload ->> 'conversationId' end as thread_id,
        case when jsonb_typeof(source.payload -> 'parentFolderId') = 'string'
             then source.payload ->> 'parentFolderId' end as parent_folder_id,

        -- headers
        headers.headers,
        case when jsonb_typeof(source.payload -> 'internetMessageId') = 'string'
             then nullif(btrim(source.payload ->> 'internetMessageId'), '') end as internet_message_id,
        case when jsonb_typeof(source.payload -> 'subject') = 'string' then source.payload ->> 'subject' end
            as subject,
        (
            select coalesce(jsonb_agg(jsonb_build_object(
                        'role', recipient_fields.role_name,
                        'ord', recipient.ord,
                        'address', btrim(recipient.entry -> 'emailAddress' ->> 'address'),
                        'display_name', recipient.entry -> 'emailAddress' ->> 'name')
                    order by recipient_fields.role_ord, recipient.ord), '[]'::jsonb)
            from (values (1, 'from', 'from'), (2, 'to', 'toRecipients'), (3, 'cc', 'ccRecipients'),
                         (4, 'bcc', 'bccRecipients'), (5, 'reply_to', 'replyTo'))
                as recipient_fields (role_ord, role_name, field_name)
            cross join lateral jsonb_array_elements(
                case jsonb_typeof(source.payload -> recipient_fields.field_name)
                    when 'array' then source.payload -> recipient_fields.field_name
                    when 'object' then jsonb_build_array(source.payload -> recipient_fields.field_name)
                    else '[]'::jsonb end
            ) with ordinality as recipient (entry, ord)
            where jsonb_typeof(recipient.entry -> 'emailAddress') = 'object'
              and nullif(btrim(recipient.entry -> 'emailAddress' ->> 'address'), '') is not null
        ) as participants,
        case when jsonb_typeof(source.payload -> 'categories') = 'array'
             then array(select category.item #>> '{}'
                        from jsonb_array_elements(source.payload -> 'categories')
                            with ordinality as category (item, ord)
                        where jsonb_typeof(category.item) = 'string'
                        order by category.ord)
             else '{}'::text[] end as categories,

        -- body
        case when jsonb_typeof(source.payload -> 'bodyPreview') = 'string'
             then source.payload ->> 'bodyPreview' end as snippet,
        case when jsonb_typeof(source.payload -> 'body') = 'object'
             then lower(source.payload -> 'body' ->> 'contentType') end as body_content_type,
        case when jsonb_typeof(source.payload -> 'body' -> 'content') = 'string'
             then replace(source.payload -> 'body' ->> 'content', E'\r\n', E'\n') end as body_content,
        coalesce(source.payload ->> 'hasAttachments' = 'true', false) as has_attachments,
        coalesce(source.payload ->> 'isDraft' = 'true', false) as is_draft,

        -- times as sent
        case when jsonb_typeof(source.payload -> 'sentDateTime') = 'string'
             then source.payload ->> 'sentDateTime' end as sent_text,
        case when jsonb_typeof(source.payload -> 'receivedDateTime') = 'string'
             then source.payload ->> 'receivedDateTime' end as received_text,
        coalesce(jsonb_typeof(source.payload -> 'internetMessageHeaders') in ('array', 'null'), true)
            as headers_well_formed,
        jsonb_typeof(source.payload) = 'object' as is_object

    from source

    cross join lateral (
        select {{ header_map("source.payload -> 'internetMessageHeaders'") }} as headers
    ) as headers

),

typed as (

    select
        *,
        coalesce(internet_message_id, nullif(btrim({{ header('headers', 'Message-ID') }}), '')) as message_id_header,
        case when {{ input_is_valid() }}(sent_text, 'timestamptz') then sent_text::timestamptz end as sent_ts,
        case when {{ input_is_valid() }}(received_text, 'timestamptz') then received_text::timestamptz end
            as received_ts,
        case when {{ input_is_valid() }}({{ header('headers', 'Date') }}, 'timestamptz')
             then ({{ header('headers', 'Date') }})::timestamptz end as date_header_ts,
        case when body_content_type = 'html' then body_content end as body_html,
        case when body_content_type = 'html' then {{ html_to_text('body_content') }}
             when body_content is not null then body_content end as body_text
    from renamed

),

final as (

    select
        -- ids
        raw_id,
        connection_id,
        tenant_id,
        external_id,
        is_deleted,
        provider_message_id,
        thread_id,
        parent_folder_id,
        categories,

        -- headers
        message_id_header,
        -- the email's key, as Gmail's: the Message-ID without angle brackets, else as written, else
        -- `outlook:<provider id>`
        coalesce(substring(message_id_header from '<([^>]+)>'), message_id_header,
                 'outlook:' || provider_message_id) as email_key,
        subject,
        substring({{ header('headers', 'In-Reply-To') }} from '<[^>]+>') as in_reply_to,
        array(select m[1] from regexp_matches(coalesce({{ header('headers', 'References') }}, ''),
                                              '(<[^>]+>)', 'g') as m) as "references",
        participants,

        -- body
        snippet,
        body_text,
        body_html,
        -- Graph lists attachments only at /attachments: the sync does not stage them (yet)
        '[]'::jsonb as attachments,
        0 as attachment_count,
        {{ extract_phones("case when body_text ~ '(^|\n)-- ?\n'
                                then regexp_replace(body_text, '^(.*\n)?-- ?\n', '') end") }} as signature_phones,
        has_attachments,
        is_draft,

        -- timestamps: sent (received for a message never sent, e.g. a draft); the Date header, else
        -- Graph's sentDateTime (Exchange takes it from the Date header)
        coalesce(sent_ts, received_ts) as sent_at,
        coalesce(date_header_ts, sent_ts) as date_header_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when not is_object then 'payload is not a JSON object'
            when provider_message_id is null then 'missing id'
            when sent_text is not null and sent_ts is null then 'impossible sentDateTime: ' || left(sent_text, 40)
            when received_text is not null and received_ts is null
                then 'impossible receivedDateTime: ' || left(received_text, 40)
            when sent_ts is null and received_ts is null then 'missing sentDateTime and receivedDateTime'
            when not headers_well_formed then 'internetMessageHeaders is not a list'
        end as quarantine_reason

    from typed

)

select * from final
