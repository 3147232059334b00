{%- set mime_max_depth = 100 -%}
-- One row per stored Gmail message version (users.messages.get?format=full), decoded into typed
-- columns: headers (RFC 2047, address lists), the MIME part tree (text/plain preferred, HTML kept,
-- attachments listed), charsets, epoch-millisecond dates. Pure function of each raw row: callers
-- filter on raw_id (the filter is pushed down to the raw_records primary key).
-- The part tree is walked 100 levels deep (Python's get_body() has no limit; real mail nests a
-- few levels); a deeper tree is quarantined with that reason, never silently bodiless.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'gmail.message'

),

decoded as (

    select
        -- ids
        source.id as raw_id,
        source.connection_id,
        source.tenant_id,
        source.external_id,
        source.is_deleted,
        source.payload ->> 'id' as provider_message_id,
        source.payload ->> 'threadId' as thread_id,

        -- provider metadata
        case when jsonb_typeof(source.payload -> 'labelIds') = 'array'
             then array(select jsonb_array_elements_text(source.payload -> 'labelIds'))
             else '{}'::text[] end as labels,
        source.payload ->> 'snippet' as snippet,
        source.payload ->> 'historyId' as history_id,
        source.payload ->> 'internalDate' as internal_date_ms,
        coalesce(jsonb_typeof(source.payload -> 'payload') = 'object', false) as has_mime_tree,

        -- headers and body
        headers.headers,
        body.plain_text,
        body.html,
        body.attachments,
        body.bad_part_id,
        body.too_deep

    from source

    cross join lateral (
        select {{ header_map("source.payload -> 'payload' -> 'headers'") }} as headers
    ) as headers

    -- the MIME part tree, depth first; a part is a body candidate as Python's
    -- EmailMessage.get_body() sees it: not under an attachment, and only the first part of a
    -- multipart/related
    cross join lateral (
        with recursive tree (part, sort_path, body_eligible, depth) as (
            select
                source.payload -> 'payload',
                array[]::int[],
                true,
                0
            union all
            select
                child.part,
                tree.sort_path || child.ord::int,
                tree.body_eligible
                    and (lower(tree.part ->> 'mimeType') <> 'multipart/related' or child.ord = 1),
                tree.depth + 1
            from tree
            cross join lateral jsonb_array_elements(
                case when jsonb_typeof(tree.part -> 'parts') = 'array' then tree.part -> 'parts' else '[]'::jsonb end
            ) with ordinality as child (part, ord)
            where lower(tree.part ->> 'mimeType') like 'multipart/%'
              and tree.depth < {{ mime_max_depth }}
        ),

        leaves as (
            select
                tree.part,
                tree.sort_path,
                lower(coalesce(tree.part ->> 'mimeType', 'text/plain')) as mime_type,
                coalesce(tree.part ->> 'filename', '') as filename,
                -- a large text part is not inlined by Gmail: the sync stores its
                -- attachments.get answer as a `gmail.body` raw record (message id / attachment id)
                coalesce(tree.part -> 'body' ->> 'data', (
                    select external_body.payload ->> 'data'
                    from {{ source('integrations', 'raw_records') }} as external_body
                    where external_body.connection_id = source.connection_id
                      and external_body.resource_type = 'gmail.body'
                      and external_body.external_id
                          = source.external_id || '/' || (tree.part -> 'body' ->> 'attachmentId')
                    order by external_body.id desc
                    limit 1
                )) as data,
                tree.part -> 'body' ->> 'attachmentId' as attachment_id,
                (tree.part -> 'body' ->> 'size') as size,
                lower(btrim(split_part({{ header('part_headers', 'Content-Disposition') }}, ';', 1))) as disposition,
                substring({{ header('part_headers', 'Content-Type') }}
                          from '(?i)charset\s*=\s*"?([^";\s]+)') as charset,
                tree.body_eligible
            from tree
            cross join lateral (select {{ header_map("tree.part -> 'headers'") }} as part_headers) as ph
            where jsonb_typeof(tree.part) = 'object'
              and lower(coalesce(tree.part ->> 'mimeType', '')) not like 'multipart/%'
        ),

        classified as (
            select
                *,
                disposition = 'attachment'
                    or filename <> ''
                    or mime_type like 'message/%'
                    or (attachment_id is not null and mime_type not like 'text/%') as is_attachment,
                body_eligible and (disposition is distinct from 'attachment') as is_body_candidate
            from leaves
        )

        select
            (select {{ decode_text(base64url_decode('data'), 'charset') }}
             from classified
             where is_body_candidate and mime_type = 'text/plain'
             order by sort_path limit 1) as plain_text,
            (select {{ decode_text(base64url_decode('data'), 'charset') }}
             from classified
             where is_body_candidate and mime_type = 'text/html'
             order by sort_path limit 1) as html,
            (select coalesce(jsonb_agg(jsonb_build_object(
                        'part_id', part ->> 'partId',
                        'filename', filename,
                        'mime_type', mime_type,
                        'size', case when size ~ '^\d{1,18}$' then size::bigint end,
                        'attachment_id', attachment_id,
                        'inline', disposition = 'inline') order by sort_path), '[]'::jsonb)
             from classified
             where is_attachment) as attachments,
            (select coalesce(part ->> 'partId', '') from classified
             where data is not null and not {{ base64url_is_valid('data') }}
             order by sort_path limit 1) as bad_part_id,
            -- a multipart with children at the depth limit: its subtree was not walked
            exists(select 1 from tree
                    where depth = {{ mime_max_depth }}
                      and lower(part ->> 'mimeType') like 'multipart/%'
                      and jsonb_typeof(part -> 'parts') = 'array'
                      and jsonb_array_length(part -> 'parts') > 0) as too_deep
    ) as body

),

renamed as (

    select
        -- ids
        raw_id,
        connection_id,
        tenant_id,
        external_id,
        is_deleted,
        provider_message_id,
        thread_id,

        -- headers
        btrim({{ header('headers', 'Message-ID') }}) as message_id_header,
        {{ gmail_email_key('headers', 'provider_message_id') }} as email_key,
        {{ rfc2047_decode(header('headers', 'Subject')) }} as subject,
        substring({{ header('headers', 'In-Reply-To') }} from '<[^>]+>') as in_reply_to,
        array(select m[1] from regexp_matches(coalesce({{ header('headers', 'References') }}, ''),
                                              '(<[^>]+>)', 'g') as m) as "references",
        {{ header('headers', 'Date') }} as date_header,
        (
            select coalesce(jsonb_agg(address || jsonb_build_object('role', header_roles.role_name)
                                      order by header_roles.role_ord, (address ->> 'ord')::int), '[]'::jsonb)
            from (values (1, 'from', 'from'), (2, 'to', 'to'), (3, 'cc', 'cc'),
                         (4, 'bcc', 'bcc'), (5, 'reply_to', 'reply-to'))
                as header_roles (role_ord, role_name, header_name)
            cross join lateral jsonb_array_elements(
                {{ parse_address_list("headers ->> header_roles.header_name") }}
            ) as address
        ) as participants,

        -- provider metadata
        labels,
        snippet,
        history_id,
        internal_date_ms,

        -- bodies
        replace(plain_text, E'\r\n', E'\n') as plain_text,
        replace(html, E'\r\n', E'\n') as body_html,
        attachments,
        jsonb_array_length(attachments) as attachment_count,

        -- timestamps
        case when internal_date_ms ~ '^\d{1,15}$' and internal_date_ms::bigint <= 253402300799999
             then timestamptz 'epoch' + internal_date_ms::bigint * interval '1 millisecond'
        end as sent_at,
        case when {{ input_is_valid() }}({{ header('headers', 'Date') }}, 'timestamptz')
             then ({{ header('headers', 'Date') }})::timestamptz
        end as date_header_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when provider_message_id is null then 'missing id'
            when not has_mime_tree then 'missing payload (MIME tree)'
            when internal_date_ms is null then 'missing internalDate'
            when not (internal_date_ms ~ '^\d{1,15}$' and internal_date_ms::bigint <= 253402300799999)
                then 'impossible internalDate: ' || left(internal_date_ms, 40)
            when bad_part_id is not null then 'invalid base64 in part ' || bad_part_id
            when too_deep then 'MIME tree deeper than {{ mime_max_depth }} levels'
        end as quarantine_reason

    from decoded

),

with_text as (

    select
        *,
        coalesce(plain_text, {{ html_to_text('body_html') }}) as body_text
    from renamed

),

final as (

    select
        *,
        -- phone numbers in the signature: the text after the last "-- " line
        {{ extract_phones("case when body_text ~ '(^|\n)-- ?\n'
                                then regexp_replace(body_text, '^(.*\n)?-- ?\n', '') end") }} as signature_phones
    from with_text

)

select * from final
