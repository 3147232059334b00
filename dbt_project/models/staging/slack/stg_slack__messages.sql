-- One row per stored Slack message version (`slack.message`: the message object exactly as
-- conversations.history / conversations.replies return it; external_id `<channel id>:<ts>`), typed:
-- the channel and ts of the key, thread_ts, author (user, else bot), the markup text as sent,
-- `edited.ts` and the ts as timestamptz, reply_count as an integer. Pure function of each raw row:
-- callers filter on raw_id. A field of the wrong JSON type reads as missing, and a ts that is not
-- one gives a quarantine reason instead of an error, so one malformed payload never fails the model.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'slack.message'

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
        substring(external_id from '^([^:]+):') as channel_id,
        substring(external_id from '^[^:]+:(.*)$') as key_ts,
        case when jsonb_typeof(payload -> 'ts') = 'string' then payload ->> 'ts' end as payload_ts,
        case when jsonb_typeof(payload -> 'thread_ts') = 'string' then payload ->> 'thread_ts' end as thread_ts,
        case when jsonb_typeof(payload -> 'team') = 'string' then payload ->> 'team' end as team_id,

        -- author
        case when jsonb_typeof(payload -> 'user') = 'string' then nullif(payload ->> 'user', '') end as user_id,
        case when jsonb_typeof(payload -> 'bot_id') = 'string' then nullif(payload ->> 'bot_id', '') end as bot_id,
        case when jsonb_typeof(payload -> 'username') = 'string' then nullif(payload ->> 'username', '') end
            as username,
        case when jsonb_typeof(payload -> 'bot_profile' -> 'name') = 'string'
             then nullif(payload -> 'bot_profile' ->> 'name', '') end as bot_name,

        -- strings
        case when jsonb_typeof(payload -> 'subtype') = 'string' then payload ->> 'subtype' end as subtype,
        case when jsonb_typeof(payload -> 'text') = 'string' then payload ->> 'text' end as text_markup,
        case when jsonb_typeof(payload -> 'files') = 'array' then jsonb_array_length(payload -> 'files') else 0 end
            as file_count,

        -- numerics
        case when jsonb_typeof(payload -> 'reply_count') = 'number'
                  and payload ->> 'reply_count' ~ '^\d{1,9}$'
             then (payload ->> 'reply_count')::int end as reply_count,

        -- times as sent
        case when jsonb_typeof(payload -> 'edited' -> 'ts') = 'string' then payload -> 'edited' ->> 'ts' end
            as edited_ts,
        case when jsonb_typeof(payload -> 'edited' -> 'user') = 'string' then payload -> 'edited' ->> 'user' end
            as edited_by

    from source

),

typed as (

    select
        *,
        coalesce(payload_ts, key_ts) as ts,
        {{ slack_ts_to_timestamp('coalesce(payload_ts, key_ts)') }} as sent_at,
        {{ slack_ts_to_timestamp('edited_ts') }} as edited_at,
        {{ slack_ts_to_timestamp('thread_ts') }} as thread_started_at
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
        channel_id,
        ts,
        thread_ts,
        team_id,

        -- author
        user_id,
        bot_id,
        username,
        bot_name,

        -- strings
        subtype,
        -- a deleted thread parent Slack still lists (its replies remain): a deletion
        coalesce(subtype = 'tombstone', false) as is_tombstone,
        text_markup,
        file_count,

        -- numerics
        reply_count,

        -- timestamps
        sent_at,
        edited_at,
        edited_by,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when not is_object then 'payload is not a JSON object'
            when channel_id is null or key_ts is null then 'external_id is not <channel id>:<ts>'
            when payload_ts is not null and payload_ts <> key_ts
                then 'ts ' || left(payload_ts, 40) || ' differs from external_id'
            when sent_at is null then 'impossible ts: ' || left(coalesce(payload_ts, key_ts), 40)
            when thread_ts is not null and thread_started_at is null
                then 'impossible thread_ts: ' || left(thread_ts, 40)
            when edited_ts is not null and edited_at is null then 'impossible edited.ts: ' || left(edited_ts, 40)
        end as quarantine_reason

    from typed

)

select * from final
