-- One row per stored Twilio message version (`twilio.message`: a Message resource of the REST API
-- 2010-04-01 as Messages.json lists it; external_id the SM/MM sid), typed: the RFC 2822 dates as
-- timestamptz, num_segments / num_media (strings on the wire) as integers, price (a string, negative
-- for a charge) as numeric, error_code as an integer. Numbers and direction are kept as Twilio
-- writes them (int_twilio_messages_latest makes them E.164 and inbound/outbound). Pure function of
-- each raw row: callers filter on raw_id. A field of the wrong JSON type reads as missing; one that
-- is present but does not parse gives a quarantine reason instead of an error.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'twilio.message'

),

renamed as (

    select
        -- ids
        id as raw_id,
        connection_id,
        tenant_id,
        external_id,
        is_deleted,
        jsonb_typeof(payload) = 'object' as is_object,
        case when jsonb_typeof(payload -> 'sid') = 'string' then payload ->> 'sid' end as sid,
        case when jsonb_typeof(payload -> 'account_sid') = 'string' then payload ->> 'account_sid' end
            as account_sid,
        case when jsonb_typeof(payload -> 'messaging_service_sid') = 'string'
             then payload ->> 'messaging_service_sid' end as messaging_service_sid,

        -- strings
        case when jsonb_typeof(payload -> 'direction') = 'string' then payload ->> 'direction' end
            as provider_direction,
        case when jsonb_typeof(payload -> 'from') = 'string' then nullif(payload ->> 'from', '') end as from_address,
        case when jsonb_typeof(payload -> 'to') = 'string' then nullif(payload ->> 'to', '') end as to_address,
        case when jsonb_typeof(payload -> 'body') = 'string' then payload ->> 'body' end as body,
        case when jsonb_typeof(payload -> 'status') = 'string' then payload ->> 'status' end as status,
        case when jsonb_typeof(payload -> 'price_unit') = 'string' then upper(payload ->> 'price_unit') end
            as price_unit,
        case when jsonb_typeof(payload -> 'error_message') = 'string' then payload ->> 'error_message' end
            as error_message,

        -- numerics as sent
        {{ twilio_scalar('payload', 'num_segments') }} as num_segments_text,
        {{ twilio_scalar('payload', 'num_media') }} as num_media_text,
        {{ twilio_scalar('payload', 'price') }} as price_text,
        {{ twilio_scalar('payload', 'error_code') }} as error_code_text,

        -- times as sent
        case when jsonb_typeof(payload -> 'date_created') = 'string' then payload ->> 'date_created' end
            as created_text,
        case when jsonb_typeof(payload -> 'date_updated') = 'string' then payload ->> 'date_updated' end
            as updated_text,
        case when jsonb_typeof(payload -> 'date_sent') = 'string' then payload ->> 'date_sent' end as sent_text

    from source

),

typed as (

    select
        *,
        case when num_segments_text ~ '^\s*\d{1,9}\s*$' then num_segments_text::int end as num_segments,
        case when num_media_text ~ '^\s*\d{1,9}\s*$' then num_media_text::int end as num_media,
        case when price_text ~ '^\s*[+-]?(\d{1,20}(\.\d{0,10})?|\.\d{1,10})\s*$' then price_text::numeric end as price,
        case when error_code_text ~ '^\s*-?\d{1,9}\s*$' then error_code_text::int end as error_code,
        {{ twilio_date('created_text') }} as created_at,
        {{ twilio_date('updated_text') }} as updated_at,
        {{ twilio_date('sent_text') }} as sent_at
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
        sid,
        account_sid,
        messaging_service_sid,

        -- strings
        provider_direction,
        from_address,
        to_address,
        body,
        status,
        error_message,

        -- numerics
        num_segments,
        num_media,
        price,
        price_unit,
        error_code,

        -- timestamps
        sent_at,
        created_at,
        updated_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when not is_object then 'payload is not a JSON object'
            when sid is null then 'missing sid'
            when sid <> external_id then 'sid ' || left(sid, 40) || ' differs from external_id'
            when created_text is not null and created_at is null
                then 'impossible date_created: ' || left(created_text, 40)
            when updated_text is not null and updated_at is null
                then 'impossible date_updated: ' || left(updated_text, 40)
            when sent_text is not null and sent_at is null then 'impossible date_sent: ' || left(sent_text, 40)
            when num_segments_text is not null and num_segments is null
                then 'impossible num_segments: ' || left(num_segments_text, 40)
            when num_media_text is not null and num_media is null
                then 'impossible num_media: ' || left(num_media_text, 40)
            when price_text is not null and price is null then 'impossible price: ' || left(price_text, 40)
            when error_code_text is not null and error_code is null
                then 'impossible error_code: ' || left(error_code_text, 40)
        end as quarantine_reason

    from typed

)

select * from final
