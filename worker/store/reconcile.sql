-- name: staged_labels
-- Live (not deleted) staged objects of a connection with the labels (Gmail) and status (Calendar)
-- of their newest version: only what reconcile compares, never the payload itself. A Gmail
-- message's labels are those of the newest, by historyId, of its newest full version and its
-- newest label record (`gmail.labels`, stored for a label-only change).
select h.external_id,
       case when label_record.history_id !~ '^\d{1,30}$' or label_record.history_id is null then newest.labels
            when newest.history_id !~ '^\d{1,30}$' or newest.history_id is null then label_record.labels
            when label_record.history_id::numeric > newest.history_id::numeric then label_record.labels
            else newest.labels end as labels,
       newest.status
from integrations.raw_heads as h
cross join lateral (
    select r.payload -> 'labelIds' as labels, r.payload ->> 'status' as status,
           r.payload ->> 'historyId' as history_id
    from integrations.raw_records as r
    where r.connection_id = h.connection_id and r.resource_type = h.resource_type
      and r.external_id = h.external_id
    order by r.id desc
    limit 1
) as newest
left join lateral (
    select r.payload -> 'labelIds' as labels, r.payload ->> 'historyId' as history_id
    from integrations.raw_records as r
    where h.resource_type = 'gmail.message'
      and r.connection_id = h.connection_id and r.resource_type = 'gmail.labels'
      and r.external_id = h.external_id
    order by r.id desc
    limit 1
) as label_record on true
where h.connection_id = %(connection_id)s and h.resource_type = %(resource_type)s and not h.is_deleted

-- name: staged_field
-- Live staged objects of one resource of a connection with one top-level field of their newest
-- version (an Outlook message's parentFolderId): what reconcile scopes by, never the payload.
select h.external_id, newest.value
from integrations.raw_heads as h
cross join lateral (
    select r.payload ->> %(field)s as value
    from integrations.raw_records as r
    where r.connection_id = h.connection_id and r.resource_type = h.resource_type
      and r.external_id = h.external_id
    order by r.id desc
    limit 1
) as newest
where h.connection_id = %(connection_id)s and h.resource_type = %(resource_type)s and not h.is_deleted

-- name: save
update integrations.sync_state
set reconcile = %(result)s, updated_at = now()
where connection_id = %(connection_id)s and capability = %(capability)s and stream = ''

-- name: normalized_mailbox_messages
-- The live product.email_mailboxes rows of one connection with their labels (reconcile scopes them).
select provider_message_id, labels from product.email_mailboxes
where connection_id = %(connection_id)s and not is_deleted

-- name: normalized_meeting_uids
-- The iCalUIDs of the tenant's live meetings: a meeting is shared by every calendar that holds it.
select distinct ical_uid from product.meetings
where tenant_id = %(tenant_id)s and status <> 'cancelled'

-- name: relation_exists
select to_regclass(%(relation)s) is not null as present

-- name: due
-- Active connections with a healthy live capability (`provider:capability` in %(keys)s) whose
-- last reconcile is older than the interval.
select distinct s.connection_id
from integrations.sync_state s
join integrations.connections c on c.id = s.connection_id and c.status = 'active'
where s.stream = '' and s.status = 'ok' and s.capability = any(c.capabilities)
  and (c.provider || ':' || s.capability) = any(%(keys)s)
  and (s.reconcile is null
       or (s.reconcile ->> 'checked_at')::timestamptz < now() - make_interval(secs => %(interval)s))

-- name: newest_payload
-- The newest staged version of one object (e.g. the etag a meeting update must match).
select payload from integrations.raw_records
where connection_id = %(connection_id)s and resource_type = %(resource_type)s and external_id = %(external_id)s
order by id desc
limit 1

-- name: staged_field_between
-- Live staged objects of one resource of a connection whose external ids lie in [low, high], with
-- one top-level field of their newest version (a Slack message's thread_ts): a channel's window.
select h.external_id, newest.value
from integrations.raw_heads as h
cross join lateral (
    select r.payload ->> %(field)s as value
    from integrations.raw_records as r
    where r.connection_id = h.connection_id and r.resource_type = h.resource_type
      and r.external_id = h.external_id
    order by r.id desc
    limit 1
) as newest
where h.connection_id = %(connection_id)s and h.resource_type = %(resource_type)s and not h.is_deleted
  and h.external_id between %(low)s and %(high)s

-- name: normalized_chat_messages
-- The live product.chat_messages rows of one connection from one instant on, as `channel:ts`.
select channel_id || ':' || ts as key from product.chat_messages
where connection_id = %(connection_id)s and not is_deleted and sent_at >= %(since)s
