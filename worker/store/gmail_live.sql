-- name: staged_messages
-- The live staged Gmail messages among `external_ids`, with what a format=minimal answer can be
-- compared with (thread, internalDate, sizeEstimate of the newest full version): a label-only
-- change of one of them is stored as a small `gmail.labels` record instead of a full copy.
select h.external_id, newest.thread_id, newest.internal_date, newest.size_estimate
from integrations.raw_heads as h
cross join lateral (
    select r.payload ->> 'threadId' as thread_id, r.payload ->> 'internalDate' as internal_date,
           r.payload ->> 'sizeEstimate' as size_estimate
    from integrations.raw_records as r
    where r.connection_id = h.connection_id and r.resource_type = h.resource_type
      and r.external_id = h.external_id and not r.is_deleted
    order by r.id desc
    limit 1
) as newest
where h.connection_id = %(connection_id)s and h.resource_type = 'gmail.message'
  and h.external_id = any(%(external_ids)s) and not h.is_deleted

-- name: staged_heads
-- Which of `external_ids` have a head of this resource (live or tombstone) for the connection.
select external_id from integrations.raw_heads
where connection_id = %(connection_id)s and resource_type = %(resource_type)s
  and external_id = any(%(external_ids)s)
