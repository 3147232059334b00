-- One row per stored toy thing version (raw_records of resource_type 'toy.thing'), decoded into
-- typed columns: the email-like fields a thing may carry (subject, from, message_id, sent_at; see
-- tests/toy_provider/world.py). Pure function of each raw row: callers filter on raw_id.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'toy.thing'

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

        -- fields
        source.payload ->> 'title' as title,
        source.payload ->> 'subject' as subject,
        nullif(btrim(source.payload ->> 'from'), '') as from_address,
        nullif(btrim(source.payload ->> 'message_id'), '') as message_id_header,
        nullif(btrim(source.payload ->> 'sent_at'), '') as sent_at_text

    from source

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

        -- headers
        title,
        subject,
        message_id_header,
        -- the email's key, as Gmail's: the Message-ID without angle brackets, else as written
        coalesce(substring(message_id_header from '<([^>]+)>'), message_id_header) as message_key,
        -- the contract's shape: [{role, ord, address, display_name}], the address as written
        case when from_address is null then '[]'::jsonb
             else jsonb_build_array(jsonb_build_object(
                 'role', 'from', 'ord', 1, 'address', from_address, 'display_name', null))
        end as participants,
        lower(from_address) as sender_key,

        -- timestamps: only with a UTC offset (a local time would depend on the session's zone)
        case when sent_at_text ~ '(Z|[+-]\d{2}(:?\d{2})?)$'
                  and {{ input_is_valid() }}(sent_at_text, 'timestamptz')
             then sent_at_text::timestamptz
        end as sent_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when provider_message_id is null then 'missing id'
            when sent_at_text is null then 'missing sent_at'
            when not (sent_at_text ~ '(Z|[+-]\d{2}(:?\d{2})?)$'
                      and {{ input_is_valid() }}(sent_at_text, 'timestamptz'))
                then 'impossible sent_at: ' || left(sent_at_text, 40)
        end as quarantine_reason

    from decoded

)

select * from final
