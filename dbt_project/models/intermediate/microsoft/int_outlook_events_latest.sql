{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['int_calendar_events_identified', 'meetings',
                                          'meeting_attendees']) }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['meeting_id']},
      {'columns': ['tenant_id', 'ical_uid']},
      {'columns': ['connection_id', 'series_master_id']},
    ],
  )
}}
-- The current state of every Outlook event in every connected calendar (one row per connection +
-- Graph event id), in the provider-neutral columns (intermediate/_intermediate.yml) plus
-- head_raw_id, series_master_id and created_at; incremental on raw_records.txid like
-- int_google_calendar_events_latest, tombstones and removal markers as there.
--
-- The meeting key is Google's: an occurrence's or exception's own iCalUId differs per occurrence in
-- Graph, so an instance is keyed by its series master's iCalUId plus its originalStart (UTC), exactly
-- as Google keys an instance by the series' iCalUID plus originalStartTime; the same meeting in a
-- Google and an Outlook calendar of one tenant is then one product.meetings row. The master is
-- staged as an `outlook.event` of its own; when it changes, its instances are rebuilt too, and an
-- instance whose master is not staged (yet) gets the provisional uid `outlook:<seriesMasterId>`.
-- meeting_id = md5(tenant | iCalUID [| original start]), the key every provider gives the copies of
-- one meeting; the canonical-organizer rule is applied over all providers' copies downstream
-- (int_calendar_events_identified).
with changed_raw as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'outlook.event'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('outlook.event') }}
    {% endif %}

),

changed_objects as (

    select
        connection_id,
        external_id
    from changed_raw
    {% if is_incremental() %}
    union
    -- instances of a series whose master changed
    select
        instances.connection_id,
        instances.external_id
    from {{ this }} as instances
    inner join changed_raw
        on instances.connection_id = changed_raw.connection_id
       and instances.series_master_id = changed_raw.external_id
    {% endif %}

),

versions as (

    {{ object_versions('changed_objects', 'outlook.event') }}

),

decoded as (

    select * from {{ ref('stg_microsoft__events') }}
    where raw_id = any(array(
        select versions.content_raw_id from versions
        where versions.content_raw_id is not null
    ))

),

with_series as (

    select
        decoded.*,
        case when decoded.event_type in ('occurrence', 'exception')
             then coalesce(master.ical_uid, 'outlook:' || coalesce(decoded.series_master_id, decoded.event_id))
             else coalesce(decoded.ical_uid, 'outlook:' || decoded.event_id) end as series_uid
    from decoded
    left join lateral (
        select nullif(r.payload ->> 'iCalUId', '') as ical_uid
        from {{ source('integrations', 'raw_records') }} as r
        where decoded.event_type in ('occurrence', 'exception')
          and r.connection_id = decoded.connection_id
          and r.resource_type = 'outlook.event'
          and r.external_id = decoded.series_master_id
          and not r.is_deleted
          and jsonb_typeof(r.payload -> 'iCalUId') = 'string'
        order by r.id desc
        limit 1
    ) as master on true

),

heads as (

    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        'microsoft'::text as provider,
        versions.connection_id,
        coalesce(connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %}) as tenant_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        {% set new_meeting_id = "case when e.raw_id is not null then " ~ stable_uuid(
               ['connections.tenant_id::text', "e.series_uid || coalesce('|' || e.original_start, '')"]) ~ " end" %}
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.meeting_id else {{ new_meeting_id }} end as meeting_id,
        case when (known.meeting_id is distinct from
                  (case when versions.head_raw_id is null then known.meeting_id else {{ new_meeting_id }} end))
             then known.meeting_id end as prior_meeting_id,
        {% else %}
        {{ new_meeting_id }} as meeting_id,
        null::uuid as prior_meeting_id,
        {% endif %}
        e.series_uid as ical_uid,
        case when e.event_type in ('occurrence', 'exception')
             then {{ stable_uuid(['connections.tenant_id::text', 'e.series_uid']) }} end as recurring_meeting_id,
        e.original_start,

        -- state of the copy
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,
        case
            when versions.head_raw_id is null then null
            when e.raw_id is null and not versions.is_deleted then 'missing content'
            else e.quarantine_reason
        end as quarantine_reason,

        -- event
        case when versions.is_deleted then 'cancelled' else e.status end as status,
        e.title,
        e.description,
        e.location,
        e.organizer_address,
        e.organizer_name,
        e.organizer_is_self,
        e.conference_url,
        e.recurrence,
        e.recurrence_rule,
        e.attendees,

        -- times
        e.is_all_day,
        e.start_at,
        e.end_at,
        e.start_date,
        e.end_date,
        e.time_zone,
        e.updated_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- the identity the canonical-organizer rule compares (int_calendar_events_identified)
        e.organizer_address as organizer_key,
        e.created_at,

        -- Outlook's own
        e.event_type,
        e.series_master_id

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    left join with_series as e
        on versions.content_raw_id = e.raw_id
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
