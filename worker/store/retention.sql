-- name: resources
-- Every (connection, resource type) that has staged objects: pruning goes one at a time, under
-- that pair's staging lock.
select distinct connection_id, resource_type from integrations.raw_heads order by 1, 2

-- name: prune
-- Delete the superseded versions of one connection's objects of one resource type, ingested more
-- than `days` days ago. Kept whatever their age: each object's newest version (its head, which
-- may be a tombstone), and its newest version that is not a tombstone (the content a tombstoned
-- object keeps in product.*). Slack's `subtype: tombstone` stand-in for a deleted thread parent is
-- staged as a live version but is a deletion too: the newest version that is neither is the content
-- int_slack_messages_latest keeps, so it is kept as well. Normalization reads nothing else, so
-- product.* does not change; the delete triggers log the touched objects for normalization (sql/007) and leave raw_heads as
-- they are (the newest row of each object stays).
with object_versions as (
    select id, ingested_at,
           row_number() over (partition by external_id order by id desc) as newest_rank,
           row_number() over (partition by external_id, is_deleted,
                                           (payload ->> 'subtype') is not distinct from 'tombstone'
                              order by id desc) as kind_rank,
           is_deleted
    from integrations.raw_records
    where connection_id = %(connection_id)s and resource_type = %(resource_type)s
)
delete from integrations.raw_records as r
using object_versions as v
where r.id = v.id
  and v.newest_rank > 1
  and (v.is_deleted or v.kind_rank > 1)
  and v.ingested_at < now() - make_interval(days => %(days)s)
