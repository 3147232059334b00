-- name: staged_labels
-- Live (not deleted) staged objects of a connection with the labels (Gmail) and status (Calendar)
-- of their newest version: only what reconcile compares, never the payload itself.
select h.external_id, newest.labels, newest.status
from integrations.raw_heads as h
cross join lateral (
    select r.payload -> 'labelIds' as labels, r.payload ->> 'status' as status
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
