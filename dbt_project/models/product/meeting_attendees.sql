{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='meeting_id',
    pre_hook="{{ watermark_begin() }}",
    post_hook=[
      "delete from {{ this }} as a where not exists (
         select 1 from {{ ref('meetings') }} as m where m.meeting_id = a.meeting_id)",
      "{{ watermark_commit() }}",
    ],
    indexes=[
      {'columns': ['attendee_id'], 'unique': True},
      {'columns': ['meeting_id']},
      {'columns': ['address']},
    ],
  )
}}
-- meeting x attendee address (lower case), from the same copy as product.meetings; rebuilt per
-- meeting (delete+insert on meeting_id) so a removed attendee goes away too.
with meetings as (

    select
        meeting_id,
        organizer_address,
        source_object_key
    from {{ ref('meetings') }}
    {% if is_incremental() %}
    where meeting_id in ({{ changed_meeting_ids() }})
    {% endif %}

),

attendees as (

    select
        meetings.meeting_id,
        a ->> 'address' as address,
        a ->> 'display_name' as display_name,
        a ->> 'response_status' as response_status,
        (a ->> 'is_organizer')::boolean
            or a ->> 'address' = meetings.organizer_address as is_organizer,
        (a ->> 'is_optional')::boolean as is_optional,
        (a ->> 'ord')::bigint as position
    from meetings
    inner join {{ ref('int_calendar_events_identified') }} as events
        on meetings.source_object_key = events.object_key
    cross join lateral jsonb_array_elements(events.attendees) as a

),

final as (

    select distinct on (meeting_id, address)
        {{ stable_uuid(['meeting_id::text', 'address']) }} as attendee_id,
        meeting_id,
        address,
        display_name,
        response_status,
        is_organizer,
        is_optional,
        position::int as position
    from attendees
    where coalesce(address, '') <> ''
    order by meeting_id, address, position

)

select * from final
