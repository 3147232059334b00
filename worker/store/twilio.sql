-- name: unsettled
-- Live staged Twilio objects of one resource whose newest version is in a status that still
-- changes without moving the date the object is listed by (a queued message has no date_sent, a
-- call in progress no end): the live sync reads each of them again by its SID. A random sample
-- when more are open than one run reads, so none starves behind others that never change.
select h.external_id
from integrations.raw_heads as h
cross join lateral (
    select r.payload ->> 'status' as status
    from integrations.raw_records as r
    where r.connection_id = h.connection_id and r.resource_type = h.resource_type
      and r.external_id = h.external_id
    order by r.id desc
    limit 1
) as newest
where h.connection_id = %(connection_id)s and h.resource_type = %(resource_type)s and not h.is_deleted
  and newest.status = any(%(statuses)s::text[])
order by random()
limit %(limit)s

-- name: claim_lock
-- Serializes the sends of one connection while one records which message it sent: a message found
-- by a retried send's lookup is claimed by one outbound row only.
select pg_advisory_xact_lock(hashtextextended(%(connection_id)s::text || '|twilio.send', 7320014))

-- name: claimed
-- The message SIDs among %(sids)s that another outbound row of the connection already holds.
select provider_id from integrations.outbound
where connection_id = %(connection_id)s and provider_id = any(%(sids)s::text[]) and id <> %(id)s

-- name: normalized_text_messages
select count(*) as n from product.text_messages where connection_id = %(connection_id)s

-- name: normalized_calls
select count(*) as n from product.calls where connection_id = %(connection_id)s

-- name: normalized_text_message_ids
select external_id from product.text_messages where connection_id = %(connection_id)s

-- name: normalized_call_ids
select external_id from product.calls where connection_id = %(connection_id)s

-- name: demo_texts
-- The demo tenant's newest texts as the CRM has them (product.text_messages, normalized by dbt).
select direction, from_number, to_number, status, sent_at, body
from product.text_messages
where tenant_id = %(tenant_id)s
order by sent_at desc nulls first
limit %(limit)s

-- name: demo_calls
select direction, from_number, to_number, status, started_at, duration_seconds
from product.calls
where tenant_id = %(tenant_id)s
order by started_at desc nulls first
limit %(limit)s

-- name: demo_staged
-- Before the texts and calls are normalized: the newest staged version of each, newest first by
-- its date (RFC 2822 in UTC, "Thu, 30 Jul 2015 20:12:31 +0000"; none yet: a queued text, first).
select h.resource_type, r.payload
from integrations.raw_heads as h
join integrations.connections as c on c.id = h.connection_id
cross join lateral (
    select payload from integrations.raw_records as r
    where r.connection_id = h.connection_id and r.resource_type = h.resource_type
      and r.external_id = h.external_id
    order by r.id desc
    limit 1
) as r
where c.tenant_id = %(tenant_id)s and h.resource_type = %(resource_type)s and not h.is_deleted
order by to_timestamp(r.payload ->> %(date_field)s, 'Dy, DD Mon YYYY HH24:MI:SS') desc nulls first
limit %(limit)s
