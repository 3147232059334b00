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
      {'columns': ['connection_id', 'calendar_id', 'recurring_event_id']},
    ],
  )
}}
-- The current state of every calendar event in every connected calendar (one row per connection
-- + `<calendarId>/<eventId>`), from its newest version; incremental on raw_records.txid like
-- int_gmail_messages_latest. A cancelled instance of a recurring event carries no iCalUID: it takes
-- its series' (the master event in the same calendar), and when a master changes its instances are
-- rebuilt too, so the result does not depend on which arrived first. An event whose raw rows were
-- deleted (with its connection) becomes a removal marker (`is_removed`, no content, its old
-- meeting_id kept) until the product models have read it, as in int_gmail_messages_latest.
--
-- meeting_id: md5(tenant | iCalUID [| original start]), the key every provider gives the copies
-- of one meeting; the canonical-organizer rule (another organizer's invite reusing the iCalUID is
-- another meeting) is applied over every provider's copies in int_calendar_events_identified, from
-- organizer_key (the copy's organizer, its series master's when it names none) and created_at.
with changed_raw as (

    select distinct
        connection_id,
        external_id
    from {{ source('integrations', 'raw_records') }}
    where resource_type = 'calendar.event'
    {% if is_incremental() %}
      and txid >= {{ watermark_low() }}
    union
    {{ removed_objects('calendar.event') }}
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
     and instances.calendar_id = substring(changed_raw.external_id from '^(.*)/[^/]*$')
     and instances.recurring_event_id = substring(changed_raw.external_id from '/([^/]*)$')
    {% endif %}

),

versions as (

    {{ object_versions('changed_objects', 'calendar.event') }}

),

decoded as (

    select * from {{ ref('stg_google__calendar_events') }}
    where raw_id = any(array(
        select versions.content_raw_id from versions
        where versions.content_raw_id is not null
    ))

),

with_series as (

    select
        decoded.*,
        coalesce(decoded.ical_uid, master.ical_uid,
                 'gcal:' || coalesce(decoded.recurring_event_id, decoded.event_id)) as series_uid,
        coalesce(decoded.organizer_address, master.organizer_address) as organizer_key
    from decoded
    left join lateral (
        select
            nullif(r.payload ->> 'iCalUID', '') as ical_uid,
            lower(r.payload -> 'organizer' ->> 'email') as organizer_address
        from {{ source('integrations', 'raw_records') }} as r
        where (decoded.ical_uid is null or decoded.organizer_address is null)
          and decoded.recurring_event_id is not null
          and r.connection_id = decoded.connection_id
          and r.resource_type = 'calendar.event'
          and r.external_id = decoded.calendar_id || '/' || decoded.recurring_event_id
          and r.payload ? 'iCalUID'
        order by r.id desc
        limit 1
    ) as master on true

),

identified as (

    select
        with_series.*,
        with_series.series_uid as identity_key
    from with_series

),

heads as (

    select
        -- ids
        versions.connection_id::text || '/' || versions.external_id as object_key,
        versions.connection_id,
        coalesce(connections.tenant_id{% if is_incremental() %}, known.tenant_id{% endif %}) as tenant_id,
        versions.external_id,
        versions.head_raw_id,
        versions.content_raw_id,
        e.calendar_id,
        e.event_id,
        e.series_uid as ical_uid,
        e.identity_key || coalesce('|' || e.original_start, '') as meeting_key,
        {% set new_meeting_id = stable_uuid(
               ['connections.tenant_id::text', "e.identity_key || coalesce('|' || e.original_start, '')"]) %}
        {% if is_incremental() %}
        case when versions.head_raw_id is null then known.meeting_id else {{ new_meeting_id }} end as meeting_id,
        case when (known.meeting_id is distinct from
                   (case when versions.head_raw_id is null then known.meeting_id else {{ new_meeting_id }} end))
             then known.meeting_id end as prior_meeting_id,
        {% else %}
        {{ new_meeting_id }} as meeting_id,
        null::uuid as prior_meeting_id,
        {% endif %}
        case when e.recurring_event_id is not null
             then {{ stable_uuid(['connections.tenant_id::text', 'e.identity_key']) }} end as recurring_meeting_id,
        e.recurring_event_id,
        e.original_start,
        versions.is_deleted,
        versions.head_raw_id is null as is_removed,

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
        e.is_all_day,
        e.start_at,
        e.end_at,
        e.start_date,
        e.end_date,
        e.time_zone,
        e.updated_at,
        lower(connections.account_id) as calendar_owner,
        case
            when versions.head_raw_id is null then null
            when e.raw_id is null and not versions.is_deleted then 'missing content'
            else e.quarantine_reason
        end as quarantine_reason,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- the identity the canonical-organizer rule compares (int_calendar_events_identified)
        e.organizer_key,
        e.created_at

    from versions
    left join {{ source('integrations', 'connections') }} as connections
        on versions.connection_id = connections.id
    left join identified as e
        on versions.content_raw_id = e.raw_id
    {% if is_incremental() %}
    left join {{ this }} as known
        on known.object_key = versions.connection_id::text || '/' || versions.external_id
    {% endif %}

)

select * from heads
