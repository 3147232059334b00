-- name: record
-- A new failure, or one more attempt of an open one; retries back off (1 min × 2^attempts, ≤ 1 day).
insert into integrations.item_failures as f
    (connection_id, capability, resource_type, external_id, last_error, next_attempt_at)
values (%(connection_id)s, %(capability)s, %(resource_type)s, %(external_id)s, %(error)s, now() + interval '1 minute')
on conflict (connection_id, resource_type, external_id) do update
    set attempts = case when f.resolved_at is null then f.attempts + 1 else 1 end,
        last_error = excluded.last_error,
        last_failed_at = now(),
        next_attempt_at = now() + least(interval '1 day',
            interval '1 minute' * power(2, least(case when f.resolved_at is null then f.attempts else 0 end, 11))),
        resolved_at = null,
        resolution = null

-- name: resolve
update integrations.item_failures
set resolved_at = now(), resolution = %(resolution)s
where connection_id = %(connection_id)s and resource_type = %(resource_type)s
  and external_id = any(%(external_ids)s) and resolved_at is null

-- name: due
select external_id, attempts from integrations.item_failures
where connection_id = %(connection_id)s and capability = %(capability)s and resolved_at is null
  and next_attempt_at <= now()
order by next_attempt_at
limit %(limit)s
