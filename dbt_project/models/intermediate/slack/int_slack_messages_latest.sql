{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['chat_messages']) }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['chat_message_id']},
      {'columns': ['connection_id', 'channel_id']},
      {'columns': ['connection_id', 'author_id']},
      {'columns': ['mentioned_user_ids'], 'type': 'gin'},
      {'columns': ['mentioned_channel_ids'], 'type': 'gin'},
    ],
  )
}}
-- The current state of every Slack message of every connected workspace (one row per connection +
-- `<channel id>:<ts>`), in the columns of int_chat_messages_unioned plus head_raw_id, the markup as
-- sent and what its rendering depends on. Incremental on raw_records.txid like the email models: a
-- changed message is rebuilt from its newest version; a tombstone keeps the content of the last
-- live version and sets is_deleted, and so does Slack's `subtype: tombstone` stand-in for a deleted
-- thread parent (its own content only when the message was never seen before); an object whose
-- raw rows were deleted becomes a removal marker keeping its chat_message_id.
--
-- text: the markup rendered readable (slack_render_text): `<@U123>` as `@` + the user's display
-- name, channel mentions and links spelled out. author_name / author_address come from the
-- author's slack.user (display name, else real name, else handle; the profile email, lower case);
-- a bot's message without a user uses its username. A user or channel that changes (renamed, an
-- email added) rebuilds the messages it wrote, is mentioned in or holds, so an incremental run
-- always equals a full refresh.
--
-- chat_message_id: md5(tenant | workspace | channel | ts), the product key; workspace = the team
-- the connection installed (connections.account_id), else the message's `team`.
with changed_raw as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'slack.message'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('slack.message') }}
    {% endif %}

),

{% if is_incremental() %}
changed_users as (

    select distinct
        connection_id,
        external_id as user_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'slack.user'
      and txid >= {{ watermark_low() }}

),

changed_channels as (

    select distinct
        connection_id,
        external_id as channel_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'slack.channel'
      and txid >= {{ watermark_low() }}

),
{% endif %}

changed_objects as (

    select
        connection_id,
        external_id
    from changed_raw
    {% if is_incremental() %}
    union
    -- written by a changed user (name, email)
    select
        known.connection_id,
        known.external_id
    from {{ this }} as known
    inner join changed_users
        on known.connection_id = changed_users.connection_id and known.author_id = changed_users.user_id
    where known.head_raw_id is not null
    union
    -- mentioning a changed user
    select
        known.connection_id,
        known.external_id
    from {{ this }} as known
    inner join changed_users
        on known.connection_id = changed_users.connection_id
       and known.mentioned_user_ids @> array[changed_users.user_id]
    where known.head_raw_id is not null
    union
    -- in a changed channel (renamed)
    select
        known.connection_id,
        known.external_id
    from {{ this }} as known
    inner join changed_channels
        on known.connection_id = changed_channels.connection_id and known.channel_id = changed_channels.channel_id
    where known.head_raw_id is not null
    union
    -- mentioning a changed channel
    select
        known.connection_id,
        known.external_id
    from {{ this }} as known
    inner join changed_channels
        on known.connection_id = changed_channels.connection_id
       and known.mentioned_channel_ids @> array[changed_channels.channel_id]
    where known.head_raw_id is not null
    {% endif %}

),

versions as (

    -- the newest version (a tombstone when deleted) and the newest with content: a live version
    -- other than Slack's tombstone stand-in, else the stand-in itself
    select
        changed_objects.connection_id,
        changed_objects.external_id,
        head.id as head_raw_id,
        coalesce(head.is_deleted or coalesce(head.payload ->> 'subtype', '') = 'tombstone', true) as is_deleted,
        coalesce(live.id, stand_in.id) as content_raw_id
    from changed_objects
    left join lateral (
        select
            r.id,
            r.is_deleted,
            r.payload
        from {{ source('integrations', 'raw_records') }} as r
        where r.connection_id = changed_objects.connection_id
          and r.resource_type = 'slack.message'
          and r.external_id = changed_objects.external_id
        order by r.id desc
        limit 1
    ) as head on true
    left join lateral (
        select r.id
        from {{ source('integrations', 'raw_records') }} as r
        where r.connection_id = changed_objects.connection_id
          and r.resource_type = 'slack.message'
          and r.external_id = changed_objects.external_id
          and not r.is_deleted
          and coalesce(r.payload ->> 'subtype', '') <> 'tombstone'
        order by r.id desc
        limit 1
    ) as live on true
    left join lateral (
        select r.id
        from {{ source('integrations', 'raw_records') }} as r
        where r.connection_id = changed_objects.connection_id
          and r.resource_type = 'slack.message'
          and r.external_id = changed_objects.external_id
          and not r.is_deleted
        order by r.id desc
        limit 1
    ) as stand_in on true

),

heads as (

    -- every look-up is an index look-up per message (a lateral join), never a join between sets
    -- whose size the planner guesses: right after a large backfill raw_records has no statistics
    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        'slack'::text as provider,
        versions.connection_id,
        coalesce(decoded.tenant_id, connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %})
            as tenant_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        {% set new_id = "case when decoded.raw_id is not null then "
                         ~ stable_uuid(['decoded.tenant_id::text',
                                        'coalesce(connections.account_id, decoded.team_id)',
                                        'decoded.channel_id', 'decoded.ts']) ~ " end" %}
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.chat_message_id else {{ new_id }} end as chat_message_id,
        {% else %}
        {{ new_id }} as chat_message_id,
        {% endif %}
        coalesce(connections.account_id, decoded.team_id) as workspace_id,
        decoded.channel_id,

        -- state of the message
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,
        case
            when versions.head_raw_id is null then null
            when decoded.raw_id is null and not versions.is_deleted then 'missing content'
            else decoded.quarantine_reason
        end as quarantine_reason,

        -- the message
        channel.name as channel_name,
        decoded.ts,
        decoded.thread_ts,
        coalesce(decoded.thread_ts <> decoded.ts, false) as is_reply,
        coalesce(decoded.user_id, decoded.bot_id) as author_id,
        lower(author.email) as author_address,
        coalesce(author.display_name, decoded.username, decoded.bot_name) as author_name,
        rendered.rendered_text as text,
        coalesce(decoded.reply_count, 0) as reply_count,

        -- timestamps
        decoded.sent_at,
        decoded.edited_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- Slack's own: the markup as sent, and what the rendering depends on
        decoded.subtype,
        decoded.text_markup,
        decoded.file_count,
        coalesce(mentions.user_ids, '{}'::text[]) as mentioned_user_ids,
        coalesce(mentions.channel_ids, '{}'::text[]) as mentioned_channel_ids

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    left join lateral (
        select messages.* from {{ ref('stg_slack__messages') }} as messages
        where messages.raw_id = versions.content_raw_id
    ) as decoded on true
    left join lateral (
        select
            {{ slack_mentioned_ids('decoded.text_markup', '@') }} as user_ids,
            {{ slack_mentioned_ids('decoded.text_markup', '#') }} as channel_ids
    ) as mentions on true
    left join lateral (
        {{ slack_newest_user('decoded.connection_id', 'decoded.user_id') }}
    ) as author on true
    left join lateral (
        {{ slack_newest_channel('decoded.connection_id', 'decoded.channel_id') }}
    ) as channel on true
    left join lateral (
        select {{ slack_render_text(
            'decoded.text_markup',
            "(select jsonb_object_agg(mentioned.user_id, named.display_name)
              from unnest(mentions.user_ids) as mentioned (user_id)
              cross join lateral (" ~ slack_newest_user('decoded.connection_id', 'mentioned.user_id') ~ ") as named
              where named.display_name is not null)",
            "(select jsonb_object_agg(mentioned.channel_id, named.name)
              from unnest(mentions.channel_ids) as mentioned (channel_id)
              cross join lateral (" ~ slack_newest_channel('decoded.connection_id', 'mentioned.channel_id') ~ ") as named
              where named.name is not null)"
        ) }} as rendered_text
    ) as rendered on true
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
