{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='meeting_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as m where not exists (
         select 1 from {{ ref('int_calendar_events_identified') }} as e
         where e.meeting_id = m.meeting_id and e.quarantine_reason is null and e.is_removed is not true)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['meeting_id'], 'unique': True},
      {'columns': ['tenant_id', 'start_at']},
      {'columns': ['tenant_id', 'ical_uid']},
    ],
  )
}}
-- One row per event per tenant, keyed by iCalUID (plus the original start of a modified or
-- cancelled instance of a recurring series): the same meeting in several attendees' calendars
-- is one row. Columns come from the organizer's copy when connected, else the newest update.
-- A key can move (an instance staged before its series first gets a provisional `gcal:` uid):
-- the post-hook drops meetings no event maps to any more, so the table equals a full refresh.
with events as (

    select * from {{ ref('int_calendar_events_identified') }}
    where meeting_id is not null
      and quarantine_reason is null
      and is_removed is not true

),

affected as (

    select * from events
    {% if is_incremental() %}
    where meeting_id in ({{ changed_meeting_ids() }})
    {% endif %}

),

representative as (

    select distinct on (meeting_id) *
    from affected
    order by meeting_id asc, organizer_is_self desc, is_deleted asc, updated_at desc nulls last, content_raw_id desc

),

final as (

    select
        -- ids
        meeting_id,
        tenant_id,
        ical_uid,
        recurring_meeting_id,
        original_start,
        object_key as source_object_key,

        -- strings
        title,
        description,
        location,
        status,
        organizer_address,
        organizer_name,
        conference_url,
        recurrence,
        recurrence_rule,

        -- times
        start_at,
        end_at,
        start_date,
        end_date,
        is_all_day,
        time_zone,
        updated_at

    from representative

)

select * from final
