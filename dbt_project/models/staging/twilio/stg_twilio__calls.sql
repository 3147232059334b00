-- One row per stored Twilio call version (`twilio.call`: a Call resource of the REST API 2010-04-01
-- as Calls.json lists it; external_id the CA sid), typed: start_time / end_time and the other RFC
-- 2822 dates as timestamptz, duration (seconds, a string on the wire) as an integer, price (a
-- string, negative for a charge) as numeric. Numbers and direction are kept as Twilio writes them
-- (int_twilio_calls_latest makes them E.164 and inbound/outbound). Pure function of each raw row:
-- callers filter on raw_id. A field of the wrong JSON type reads as missing; one that is present
-- but does not parse gives a quarantine reason instead of an error.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'twilio.call'

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
        case when jsonb_typeof(payload -> 'parent_call_sid') = 'string' then payload ->> 'parent_call_sid' end
            as parent_call_sid,

        -- strings
        case when jsonb_typeof(payload -> 'direction') = 'string' then payload ->> 'direction' end
            as provider_direction,
        case when jsonb_typeof(payload -> 'from') = 'string' then nullif(payload ->> 'from', '') end as from_address,
        case when jsonb_typeof(payload -> 'to') = 'string' then nullif(payload ->> 'to', '') end as to_address,
        case when jsonb_typeof(payload -> 'status') = 'string' then payload ->> 'status' end as status,
        case when jsonb_typeof(payload -> 'answered_by') = 'string' then payload ->> 'answered_by' end
            as answered_by,
        case when jsonb_typeof(payload -> 'price_unit') = 'string' then upper(payload ->> 'price_unit') end
            as price_unit,

        -- numerics as sent
        {{ twilio_scalar('payload', 'duration') }} as duration_text,
        {{ twilio_scalar('payload', 'price') }} as price_text,

        -- times as sent
        case when jsonb_typeof(payload -> 'start_time') = 'string' then payload ->> 'start_time' end as start_text,
        case when jsonb_typeof(payload -> 'end_time') = 'string' then payload ->> 'end_time' end as end_text,
        case when jsonb_typeof(payload -> 'date_created') = 'string' then payload ->> 'date_created' end
            as created_text,
        case when jsonb_typeof(payload -> 'date_updated') = 'string' then payload ->> 'date_updated' end
            as updated_text

    from source

),

typed as (

    select
        *,
        case when duration_text ~ '^\s*\d{1,9}\s*$' then duration_text::int end as duration_seconds,
        case when price_text ~ '^\s*[+-]?(\d{1,20}(\.\d{0,10})?|\.\d{1,10})\s*$' then price_text::numeric end as price,
        {{ twilio_date('start_text') }} as started_at,
        {{ twilio_date('end_text') }} as ended_at,
        {{ twilio_date('created_text') }} as created_at,
        {{ twilio_date('updated_text') }} as updated_at
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
        parent_call_sid,

        -- strings
        provider_direction,
        from_address,
        to_address,
        status,
        answered_by,

        -- numerics
        duration_seconds,
        price,
        price_unit,

        -- timestamps
        started_at,
        ended_at,
        created_at,
        updated_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when not is_object then 'payload is not a JSON object'
            when sid is null then 'missing sid'
            when sid <> external_id then 'sid ' || left(sid, 40) || ' differs from external_id'
            when start_text is not null and started_at is null then 'impossible start_time: ' || left(start_text, 40)
            when end_text is not null and ended_at is null then 'impossible end_time: ' || left(end_text, 40)
            when created_text is not null and created_at is null
                then 'impossible date_created: ' || left(created_text, 40)
            when updated_text is not null and updated_at is null
                then 'impossible date_updated: ' || left(updated_text, 40)
            when duration_text is not null and duration_seconds is null
                then 'impossible duration: ' || left(duration_text, 40)
            when price_text is not null and price is null then 'impossible price: ' || left(price_text, 40)
        end as quarantine_reason

    from typed

)

select * from final
