{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='object_key',
    pre_hook=["{{ drop_consumed_removals(['meetings', 'meeting_attendees'], marker='is_removed') }}",
              "{{ watermark_begin() }}"],
    post_hook="{{ watermark_commit() }}",
    indexes=[
      {'columns': ['object_key'], 'unique': True},
      {'columns': ['changed_txid']},
      {'columns': ['meeting_id']},
      {'columns': ['tenant_id', 'ical_uid']},
    ],
  )
}}
-- Every calendar event copy from every provider (int_calendar_events_unioned) with its final
-- meeting_id: the canonical-organizer rule, applied over all providers' copies of an iCalUID at
-- once. The product meeting models read only this model.
--
-- A provider keys each copy md5(tenant | iCalUID [| original start]) (`key_meeting_id` here).
-- Copies of one iCalUID whose organizer disagrees are different meetings, so an outsider's invite
-- reusing an iCalUID cannot rewrite the tenant's meeting. The organizer of the copy in the
-- organizer's own calendar, else of the earliest created copy, is canonical: copies claiming it keep
-- the key; another organizer's get md5(tenant | iCalUID | organizer:<address> [| original start])
-- (and their series md5(tenant | iCalUID | organizer:<address>)). A build rebuilds every copy of
-- each iCalUID a changed copy has or had; `prior_meeting_id` names the meeting a copy left.
-- Incremental on the union's changed_txid (macros/watermark.sql).
with

{% if is_incremental() %}
changed as (

    select
        object_key,
        tenant_id,
        ical_uid
    from {{ ref('int_calendar_events_unioned') }}
    where changed_txid >= {{ watermark_low() }}

),

affected_keys as (

    -- the iCalUIDs (per tenant) the changed copies have now or had here
    select
        tenant_id,
        ical_uid
    from changed
    where ical_uid is not null
    union
    select
        known.tenant_id,
        known.ical_uid
    from {{ this }} as known
    inner join changed on known.object_key = changed.object_key
    where known.ical_uid is not null

),

wanted as (

    -- the changed copies and every copy of their iCalUIDs (index look-ups, not one OR over all copies)
    select object_key from changed
    union
    select copies_of_keys.object_key
    from {{ ref('int_calendar_events_unioned') }} as copies_of_keys
    inner join affected_keys
        on copies_of_keys.tenant_id = affected_keys.tenant_id and copies_of_keys.ical_uid = affected_keys.ical_uid

),

copies as (

    select * from {{ ref('int_calendar_events_unioned') }}
    where object_key in (select wanted.object_key from wanted)

),
{% else %}
copies as (

    select * from {{ ref('int_calendar_events_unioned') }}

),
{% endif %}

canonical as (

    -- per tenant and iCalUID: the organizer the tenant can vouch for
    select distinct on (tenant_id, ical_uid)
        tenant_id,
        ical_uid,
        organizer_address
    from copies
    where content_raw_id is not null and quarantine_reason is null and is_removed is not true
      and organizer_address is not null and ical_uid is not null
    order by
        tenant_id asc, ical_uid asc, organizer_is_self desc, created_at asc nulls last,
        connection_id asc, external_id asc

),

identified as (

    select
        copies.*,
        case when canonical.organizer_address is null or copies.organizer_key is null
                  or copies.organizer_key = canonical.organizer_address
             then copies.ical_uid
             else copies.ical_uid || '|organizer:' || copies.organizer_key
        end as identity_key
    from copies
    left join canonical on copies.tenant_id = canonical.tenant_id and copies.ical_uid = canonical.ical_uid

),

keyed as (

    select
        *,
        case when meeting_id is not null
             then {{ stable_uuid(['tenant_id::text', "identity_key || coalesce('|' || original_start, '')"]) }}
        end as identified_meeting_id,
        case when recurring_meeting_id is not null
             then {{ stable_uuid(['tenant_id::text', 'identity_key']) }} end as identified_recurring_meeting_id
    from identified

),

final as (

    select
        -- ids
        keyed.object_key,
        keyed.provider,
        keyed.connection_id,
        keyed.tenant_id,
        keyed.external_id,
        keyed.content_raw_id,
        {% if is_incremental() %}
        case when keyed.is_removed and known.object_key is not null then known.meeting_id
             else keyed.identified_meeting_id end as meeting_id,
        case when (known.meeting_id is distinct from
                  (case when keyed.is_removed and known.object_key is not null then known.meeting_id
                        else keyed.identified_meeting_id end))
             then known.meeting_id end as prior_meeting_id,
        {% else %}
        keyed.identified_meeting_id as meeting_id,
        null::uuid as prior_meeting_id,
        {% endif %}
        keyed.ical_uid,
        keyed.identified_recurring_meeting_id as recurring_meeting_id,
        keyed.original_start,

        -- state of the copy
        keyed.is_deleted,
        keyed.is_removed,
        keyed.quarantine_reason,

        -- event
        keyed.status,
        keyed.title,
        keyed.description,
        keyed.location,
        keyed.organizer_address,
        keyed.organizer_name,
        keyed.organizer_is_self,
        keyed.conference_url,
        keyed.recurrence,
        keyed.recurrence_rule,
        keyed.attendees,

        -- times
        keyed.is_all_day,
        keyed.start_at,
        keyed.end_at,
        keyed.start_date,
        keyed.end_date,
        keyed.time_zone,
        keyed.updated_at,

        -- run bookkeeping
        pg_current_xact_id() as changed_txid,

        -- what the canonical-organizer rule compared
        keyed.organizer_key,
        keyed.created_at,

        -- the key the provider gave the copy
        keyed.meeting_id as key_meeting_id

    from keyed
    {% if is_incremental() %}
    left join {{ this }} as known on keyed.object_key = known.object_key
    {% endif %}

)

select * from final
