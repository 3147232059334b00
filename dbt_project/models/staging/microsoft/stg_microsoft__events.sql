-- One row per stored Outlook event version (Graph event JSON as calendarView/delta returns it, and
-- series masters from GET /me/events/{id}; `outlook.event`), typed: Graph's zone-less dateTime +
-- timeZone pairs as timestamptz, all-day dates (end exclusive, as Graph sends them), the
-- recurrence pattern as an RFC 5545 RRULE line, attendees in the provider-neutral shape. Pure
-- function of each raw row: callers filter on raw_id. A field of the wrong JSON type reads as
-- missing, so a malformed payload is quarantined instead of failing the model.
with source as (

    select * from {{ source('integrations', 'raw_records') }}
    where resource_type = 'outlook.event'

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
        case when jsonb_typeof(payload -> 'id') = 'string' then payload ->> 'id' end as event_id,
        lower(coalesce(payload ->> 'type', 'singleInstance')) as event_type,
        case when jsonb_typeof(payload -> 'seriesMasterId') = 'string' then payload ->> 'seriesMasterId' end
            as series_master_id,
        case when jsonb_typeof(payload -> 'iCalUId') = 'string' then nullif(payload ->> 'iCalUId', '') end as ical_uid,

        -- strings
        coalesce(payload ->> 'isCancelled' = 'true', false) as is_cancelled,
        case when jsonb_typeof(payload -> 'subject') = 'string' then payload ->> 'subject' end as title,
        case when jsonb_typeof(payload -> 'body') = 'object' then lower(payload -> 'body' ->> 'contentType') end
            as body_content_type,
        case when jsonb_typeof(payload -> 'body' -> 'content') = 'string'
             then replace(payload -> 'body' ->> 'content', E'\r\n', E'\n') end as body_content,
        case when jsonb_typeof(payload -> 'location') = 'object'
             then nullif(payload -> 'location' ->> 'displayName', '') end as location,
        case when jsonb_typeof(payload -> 'organizer' -> 'emailAddress') = 'object'
             then lower(nullif(btrim(payload -> 'organizer' -> 'emailAddress' ->> 'address'), '')) end
            as organizer_address,
        case when jsonb_typeof(payload -> 'organizer' -> 'emailAddress') = 'object'
             then payload -> 'organizer' -> 'emailAddress' ->> 'name' end as organizer_name,
        coalesce(payload ->> 'isOrganizer' = 'true', false) as organizer_is_self,
        case when jsonb_typeof(payload -> 'onlineMeeting') = 'object'
             then nullif(payload -> 'onlineMeeting' ->> 'joinUrl', '') end as conference_url,
        case when jsonb_typeof(payload -> 'recurrence') = 'object' then payload -> 'recurrence' end as recurrence_json,
        case when jsonb_typeof(payload -> 'attendees') = 'array' then payload -> 'attendees' else '[]'::jsonb end
            as attendees_json,

        -- times as sent
        coalesce(payload ->> 'isAllDay' = 'true', false) as is_all_day,
        case when jsonb_typeof(payload -> 'start') = 'object' then payload -> 'start' ->> 'dateTime' end
            as start_date_time,
        case when jsonb_typeof(payload -> 'start') = 'object' then payload -> 'start' ->> 'timeZone' end
            as start_zone,
        case when jsonb_typeof(payload -> 'end') = 'object' then payload -> 'end' ->> 'dateTime' end as end_date_time,
        case when jsonb_typeof(payload -> 'end') = 'object' then payload -> 'end' ->> 'timeZone' end as end_zone,
        case when jsonb_typeof(payload -> 'originalStart') = 'string' then payload ->> 'originalStart' end
            as original_start_text,
        case when jsonb_typeof(payload -> 'originalStartTimeZone') = 'string'
             then payload ->> 'originalStartTimeZone' end as original_zone,
        case when jsonb_typeof(payload -> 'lastModifiedDateTime') = 'string'
             then payload ->> 'lastModifiedDateTime' end as updated_text,
        case when jsonb_typeof(payload -> 'createdDateTime') = 'string'
             then payload ->> 'createdDateTime' end as created_text

    from source

),

zoned as (

    select
        *,
        case when coalesce(start_zone, 'UTC') in (select z.name from pg_timezone_names as z)
             then coalesce(start_zone, 'UTC') end as start_pg_zone,
        case when coalesce(end_zone, start_zone, 'UTC') in (select z.name from pg_timezone_names as z)
             then coalesce(end_zone, start_zone, 'UTC') end as end_pg_zone,
        (select z.name from pg_timezone_names as z
         where z.name in (renamed.original_zone, renamed.start_zone)
         order by z.name = renamed.original_zone desc limit 1) as time_zone
    from renamed

),

typed as (

    select
        *,
        case when start_pg_zone is not null and {{ input_is_valid() }}(start_date_time, 'timestamp')
             then start_date_time::timestamp at time zone start_pg_zone end as start_ts,
        case when end_pg_zone is not null and {{ input_is_valid() }}(end_date_time, 'timestamp')
             then end_date_time::timestamp at time zone end_pg_zone end as end_ts,
        case when {{ input_is_valid() }}(original_start_text, 'timestamptz')
             then to_char(original_start_text::timestamptz at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        end as original_start,
        case when {{ input_is_valid() }}(updated_text, 'timestamptz') then updated_text::timestamptz end as updated_at,
        case when {{ input_is_valid() }}(created_text, 'timestamptz') then created_text::timestamptz end as created_at
    from zoned

),

recurrence as (

    -- Graph's recurrence pattern + range as one RRULE line (RFC 5545)
    select
        typed.raw_id,
        'RRULE:FREQ=' || case parts.pat ->> 'type'
                when 'daily' then 'DAILY' when 'weekly' then 'WEEKLY'
                when 'absoluteMonthly' then 'MONTHLY' when 'relativeMonthly' then 'MONTHLY'
                when 'absoluteYearly' then 'YEARLY' when 'relativeYearly' then 'YEARLY' end
            || case when coalesce(parts.pat ->> 'interval', '1') ~ '^\d{1,4}$'
                         and coalesce(parts.pat ->> 'interval', '1') <> '1'
                    then ';INTERVAL=' || (parts.pat ->> 'interval') else '' end
            || case when parts.pat ->> 'type' in ('weekly', 'relativeMonthly', 'relativeYearly')
                         and jsonb_typeof(parts.pat -> 'daysOfWeek') = 'array'
                         and jsonb_array_length(parts.pat -> 'daysOfWeek') > 0
                    then ';BYDAY=' || (
                        select string_agg(
                                   case when parts.pat ->> 'type' <> 'weekly'
                                        then case parts.pat ->> 'index' when 'first' then '1' when 'second' then '2'
                                                  when 'third' then '3' when 'fourth' then '4'
                                                  when 'last' then '-1' else '' end
                                        else '' end
                                   || upper(left(d.day_name, 2)), ',' order by d.ord)
                        from jsonb_array_elements_text(parts.pat -> 'daysOfWeek') with ordinality as d (day_name, ord))
                    else '' end
            || case when parts.pat ->> 'type' in ('absoluteMonthly', 'absoluteYearly')
                         and parts.pat ->> 'dayOfMonth' ~ '^\d{1,2}$'
                    then ';BYMONTHDAY=' || (parts.pat ->> 'dayOfMonth') else '' end
            || case when parts.pat ->> 'type' in ('absoluteYearly', 'relativeYearly')
                         and parts.pat ->> 'month' ~ '^\d{1,2}$'
                    then ';BYMONTH=' || (parts.pat ->> 'month') else '' end
            || case when parts.rng ->> 'type' = 'endDate' and parts.rng ->> 'endDate' ~ '^\d{4}-\d{2}-\d{2}$'
                    then ';UNTIL=' || replace(parts.rng ->> 'endDate', '-', '')
                    when parts.rng ->> 'type' = 'numbered' and parts.rng ->> 'numberOfOccurrences' ~ '^\d{1,6}$'
                    then ';COUNT=' || (parts.rng ->> 'numberOfOccurrences') else '' end as rrule
    from typed
    cross join lateral (
        select
            typed.recurrence_json -> 'pattern' as pat,
            typed.recurrence_json -> 'range' as rng
    ) as parts
    where jsonb_typeof(typed.recurrence_json -> 'pattern') = 'object'
      and typed.recurrence_json -> 'pattern' ->> 'type' in ('daily', 'weekly', 'absoluteMonthly', 'relativeMonthly',
                                                           'absoluteYearly', 'relativeYearly')

),

attendees as (

    -- [{ord, address, display_name, response_status, is_organizer, is_optional}]; the organizer is
    -- listed too (Graph leaves it out of attendees, Google lists it)
    select
        typed.raw_id,
        (
            select coalesce(jsonb_agg(listed_attendees.attendee order by (listed_attendees.attendee ->> 'ord')::int),
                            '[]'::jsonb)
            from (
                select jsonb_build_object(
                    'ord', a.ord,
                    'address', lower(btrim(a.value -> 'emailAddress' ->> 'address')),
                    'display_name', a.value -> 'emailAddress' ->> 'name',
                    'response_status', case a.value -> 'status' ->> 'response'
                        when 'accepted' then 'accepted' when 'organizer' then 'accepted'
                        when 'declined' then 'declined' when 'tentativelyAccepted' then 'tentative'
                        else 'needsAction' end,
                    'is_organizer', lower(btrim(a.value -> 'emailAddress' ->> 'address')) = typed.organizer_address,
                    'is_optional', a.value ->> 'type' = 'optional') as attendee
                from jsonb_array_elements(typed.attendees_json) with ordinality as a (value, ord)
                where jsonb_typeof(a.value -> 'emailAddress') = 'object'
                  and nullif(btrim(a.value -> 'emailAddress' ->> 'address'), '') is not null
                union all
                select jsonb_build_object(
                    'ord', jsonb_array_length(typed.attendees_json) + 1,
                    'address', typed.organizer_address,
                    'display_name', typed.organizer_name,
                    'response_status', 'accepted',
                    'is_organizer', true,
                    'is_optional', false)
                where typed.organizer_address is not null
                  and not exists (
                      select 1 from jsonb_array_elements(typed.attendees_json) as listed
                      where lower(btrim(listed.value -> 'emailAddress' ->> 'address')) = typed.organizer_address)
            ) as listed_attendees
        ) as attendees
    from typed

),

final as (

    select
        -- ids
        typed.raw_id,
        typed.connection_id,
        typed.tenant_id,
        typed.external_id,
        typed.is_deleted,
        typed.event_id,
        typed.event_type,
        typed.series_master_id,
        typed.ical_uid,
        case when typed.event_type in ('occurrence', 'exception') then typed.original_start end as original_start,

        -- strings
        case when typed.is_cancelled then 'cancelled' else 'confirmed' end as status,
        typed.title,
        case when typed.body_content_type = 'html' then {{ html_to_text('typed.body_content') }}
             else typed.body_content end as description,
        typed.location,
        typed.organizer_address,
        typed.organizer_name,
        typed.organizer_is_self,
        typed.conference_url,
        case when recurrence.rrule is not null then array[recurrence.rrule] end as recurrence,
        recurrence.rrule as recurrence_rule,
        attendees.attendees,

        -- times: an all-day event's dates (end exclusive) and start_at/end_at at midnight in its zone
        typed.is_all_day,
        case when typed.is_all_day
             then (typed.start_ts at time zone typed.start_pg_zone)::date::timestamp
                  at time zone coalesce(typed.time_zone, 'UTC')
             else typed.start_ts end as start_at,
        case when typed.is_all_day
             then (typed.end_ts at time zone typed.end_pg_zone)::date::timestamp
                  at time zone coalesce(typed.time_zone, 'UTC')
             else typed.end_ts end as end_at,
        case when typed.is_all_day then (typed.start_ts at time zone typed.start_pg_zone)::date end as start_date,
        case when typed.is_all_day then (typed.end_ts at time zone typed.end_pg_zone)::date end as end_date,
        typed.time_zone,
        typed.updated_at,
        typed.created_at,

        -- what makes the record unusable (NULL: fine)
        case
            when typed.is_deleted then null
            when not typed.is_object then 'payload is not a JSON object'
            when typed.event_id is null then 'missing id'
            when typed.start_date_time is not null and typed.start_pg_zone is null
                then 'unknown time zone: ' || left(typed.start_zone, 60)
            when typed.end_date_time is not null and typed.end_pg_zone is null
                then 'unknown time zone: ' || left(coalesce(typed.end_zone, typed.start_zone), 60)
            when typed.start_date_time is not null and typed.start_ts is null
                then 'impossible start: ' || left(typed.start_date_time, 40)
            when typed.end_date_time is not null and typed.end_ts is null
                then 'impossible end: ' || left(typed.end_date_time, 40)
            when not typed.is_cancelled and typed.start_ts is null then 'missing start'
            when typed.original_start_text is not null and typed.original_start is null
                then 'impossible originalStart: ' || left(typed.original_start_text, 40)
        end as quarantine_reason

    from typed
    left join recurrence on typed.raw_id = recurrence.raw_id
    left join attendees on typed.raw_id = attendees.raw_id

)

select * from final
