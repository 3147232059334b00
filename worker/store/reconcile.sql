-- name: staged_labels
-- Live (not deleted) staged objects of a connection with the labels of their newest version.
select h.external_id, newest.payload -> 'labelIds' as labels, newest.payload as payload
from integrations.raw_heads as h
cross join lateral (
    select r.payload
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
