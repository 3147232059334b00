-- One row per stored Calendar v3 Event version, typed: RFC 3339 dateTimes and all-day dates
-- (end exclusive, as Google sends it), time zones, recurrence, attendees, conference link.
-- external_id is `<calendarId>/<eventId>`. Pure function of each raw row; callers filter on raw_id.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'calendar.event'

),

renamed as (

    select
        -- ids
        id as raw_id,
        connection_id,
        tenant_id,
        external_id,
        is_deleted,
        substring(external_id from '^(.*)/[^/]*$') as calendar_id,
        payload ->> 'id' as event_id,
        nullif(payload ->> 'iCalUID', '') as ical_uid,
        payload ->> 'recurringEventId' as recurring_event_id,

        -- strings
        lower(coalesce(payload ->> 'status', 'confirmed')) as status,
        payload ->> 'summary' as title,
        payload ->> 'description' as description,
        payload ->> 'location' as location,
        lower(payload -> 'organizer' ->> 'email') as organizer_address,
        payload -> 'organizer' ->> 'displayName' as organizer_name,
        coalesce((payload -> 'organizer' ->> 'self')::boolean, false) as organizer_is_self,
        coalesce(
            (select entry_point.entry ->> 'uri'
             from jsonb_array_elements(
                 case when jsonb_typeof(source.payload -> 'conferenceData' -> 'entryPoints') = 'array'
                      then source.payload -> 'conferenceData' -> 'entryPoints' else '[]'::jsonb end
             ) with ordinality as entry_point (entry, ord)
             where entry_point.entry ->> 'entryPointType' = 'video'
             order by entry_point.ord
             limit 1),
            payload ->> 'hangoutLink'
        ) as conference_url,
        case when jsonb_typeof(payload -> 'recurrence') = 'array'
             then array(select jsonb_array_elements_text(payload -> 'recurrence')) end as recurrence,
        case when jsonb_typeof(payload -> 'attendees') = 'array'
             then payload -> 'attendees' else '[]'::jsonb end as attendees,

        -- times as sent
        payload -> 'start' ->> 'dateTime' as start_date_time,
        payload -> 'start' ->> 'date' as start_date_text,
        payload -> 'end' ->> 'dateTime' as end_date_time,
        payload -> 'end' ->> 'date' as end_date_text,
        payload -> 'originalStartTime' ->> 'dateTime' as original_start_date_time,
        payload -> 'originalStartTime' ->> 'date' as original_start_date_text,
        coalesce(payload -> 'start' ->> 'timeZone', payload -> 'end' ->> 'timeZone',
                 payload -> 'originalStartTime' ->> 'timeZone') as time_zone_name,
        payload ->> 'updated' as updated_text,
        payload ->> 'created' as created_text

    from source

),

typed as (

    select
        *,
        case when {{ input_is_valid() }}(start_date_time, 'timestamptz')
             then start_date_time::timestamptz end as start_ts,
        case when {{ input_is_valid() }}(end_date_time, 'timestamptz')
             then end_date_time::timestamptz end as end_ts,
        case when start_date_text ~ '^\d{4}-\d{2}-\d{2}$' and {{ input_is_valid() }}(start_date_text, 'date')
             then start_date_text::date end as start_date,
        case when end_date_text ~ '^\d{4}-\d{2}-\d{2}$' and {{ input_is_valid() }}(end_date_text, 'date')
             then end_date_text::date end as end_date,
        case when {{ input_is_valid() }}(original_start_date_time, 'timestamptz')
             then to_char(original_start_date_time::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
             when original_start_date_text ~ '^\d{4}-\d{2}-\d{2}$'
                  and {{ input_is_valid() }}(original_start_date_text, 'date')
             then original_start_date_text end as original_start,
        case when time_zone_name in (select known_zone.name from pg_timezone_names as known_zone)
             then time_zone_name end as time_zone,
        case when {{ input_is_valid() }}(updated_text, 'timestamptz') then updated_text::timestamptz end as updated_at,
        case when {{ input_is_valid() }}(created_text, 'timestamptz') then created_text::timestamptz end as created_at
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
        calendar_id,
        event_id,
        ical_uid,
        recurring_event_id,
        original_start,

        -- strings
        status,
        title,
        description,
        location,
        organizer_address,
        organizer_name,
        organizer_is_self,
        conference_url,
        recurrence,
        (select rrule.rule_line from unnest(recurrence) with ordinality as rrule (rule_line, ord)
         where rrule.rule_line like 'RRULE:%'
         order by rrule.ord limit 1) as recurrence_rule,
        attendees,

        -- times: all-day events have dates (end exclusive) and start_at/end_at at midnight in the
        -- event's time zone (UTC when it has none)
        start_date is not null and start_ts is null as is_all_day,
        coalesce(start_ts, (start_date::timestamp at time zone coalesce(time_zone, 'UTC'))) as start_at,
        coalesce(end_ts, (end_date::timestamp at time zone coalesce(time_zone, 'UTC'))) as end_at,
        start_date,
        end_date,
        time_zone,
        updated_at,
        created_at,

        -- what makes the record unusable (NULL: fine)
        case
            when is_deleted then null
            when event_id is null then 'missing id'
            when start_date_time is not null and start_ts is null then 'impossible start: ' || left(start_date_time, 40)
            when end_date_time is not null and end_ts is null then 'impossible end: ' || left(end_date_time, 40)
            when start_date_text is not null and start_date is null
                then 'impossible start date: ' || left(start_date_text, 40)
            when end_date_text is not null and end_date is null then 'impossible end date: ' || left(end_date_text, 40)
            when status <> 'cancelled' and start_date_time is null and start_date_text is null then 'missing start'
            when original_start_date_time is not null and original_start is null
                then 'impossible originalStartTime: ' || left(original_start_date_time, 40)
        end as quarantine_reason

    from typed

)

select * from final
