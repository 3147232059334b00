{{ config(materialized='view') }}
-- Every calendar event in every connected calendar, from every calendar provider, in one
-- provider-neutral column contract (_intermediate.yml): the product meeting models read only this
-- model. Each provider's intermediate model (intermediate/<provider>/) keeps one row per event
-- copy with its own identity rules; its branch here maps it to the contract (attendees included).
-- A new calendar provider adds one branch.
with google_calendar as (

    select
        -- ids
        object_key,
        'google'::text as provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        meeting_id,
        prior_meeting_id,
        ical_uid,
        recurring_meeting_id,
        original_start,

        -- state of the copy
        is_deleted,
        is_removed,
        quarantine_reason,

        -- event
        status,
        title,
        description,
        location,
        organizer_address,
        organizer_name,
        organizer_is_self,
        conference_url,
        recurrence,
        recurrence_rule,
        (select coalesce(jsonb_agg(jsonb_build_object(
                    'ord', a.ord,
                    'address', lower(btrim(a.attendee ->> 'email')),
                    'display_name', a.attendee ->> 'displayName',
                    'response_status', coalesce(a.attendee ->> 'responseStatus', 'needsAction'),
                    'is_organizer', coalesce((a.attendee ->> 'organizer')::boolean, false),
                    'is_optional', coalesce((a.attendee ->> 'optional')::boolean, false)
                ) order by a.ord), '[]'::jsonb)
         from jsonb_array_elements(events.attendees) with ordinality as a (attendee, ord)) as attendees,

        -- times
        is_all_day,
        start_at,
        end_at,
        start_date,
        end_date,
        time_zone,
        updated_at,

        -- run bookkeeping
        changed_txid,

        -- what the canonical-organizer rule compares
        organizer_key,
        created_at

    from {{ ref('int_google_calendar_events_latest') }} as events

),

outlook_calendar as (

    select
        -- ids
        object_key,
        provider,
        connection_id,
        tenant_id,
        external_id,
        content_raw_id,
        meeting_id,
        prior_meeting_id,
        ical_uid,
        recurring_meeting_id,
        original_start,

        -- state of the copy
        is_deleted,
        is_removed,
        quarantine_reason,

        -- event
        status,
        title,
        description,
        location,
        organizer_address,
        organizer_name,
        organizer_is_self,
        conference_url,
        recurrence,
        recurrence_rule,
        attendees,

        -- times
        is_all_day,
        start_at,
        end_at,
        start_date,
        end_date,
        time_zone,
        updated_at,

        -- run bookkeeping
        changed_txid,

        -- what the canonical-organizer rule compares
        organizer_key,
        created_at

    from {{ ref('int_outlook_events_latest') }}

),

unioned as (

    select * from google_calendar
    union all
    select * from outlook_calendar

)

select * from unioned
