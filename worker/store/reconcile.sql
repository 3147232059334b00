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

-- name: save
update integrations.sync_state
set reconcile = %(result)s, updated_at = now()
where connection_id = %(connection_id)s and capability = %(capability)s and stream = ''
