-- name: lock
-- One capability run holds its row for the whole job (its own short transactions re-read it).
insert into integrations.sync_state (connection_id, capability, stream, status)
values (%(connection_id)s, %(capability)s, %(stream)s, 'ready')
on conflict (connection_id, capability, stream) do nothing;

-- name: get
select * from integrations.sync_state
where connection_id = %(connection_id)s and capability = %(capability)s and stream = %(stream)s

-- name: save_cursor
-- Called in the same transaction as the page's raw rows: the cursor never passes unstored data.
-- `expected`: the cursor as this writer read it (compare-and-swap: a stalled writer never moves a
-- newer cursor back); NULL for a writer that never read it.
update integrations.sync_state
set cursor = %(cursor)s, status = 'running', last_attempt_at = now(), updated_at = now()
where connection_id = %(connection_id)s and capability = %(capability)s and stream = %(stream)s
  and (%(expected)s::jsonb is null or cursor = %(expected)s::jsonb)

-- name: mark_full_sync
update integrations.sync_state
set full_syncs = full_syncs + 1, last_full_sync_reason = %(reason)s, updated_at = now()
where connection_id = %(connection_id)s and capability = %(capability)s and stream = %(stream)s

-- name: succeed
update integrations.sync_state
set status = 'ok', last_success_at = now(), last_error = null, consecutive_failures = 0,
    next_run_at = now() + make_interval(secs => %(interval)s), updated_at = now()
where connection_id = %(connection_id)s and capability = %(capability)s and stream = %(stream)s

-- name: fail
-- Repeated failures back off (interval * 2^failures, at most an hour) but never stop retrying.
update integrations.sync_state
set status = %(status)s, last_error = %(error)s, consecutive_failures = consecutive_failures + 1,
    last_attempt_at = now(),
    next_run_at = now() + make_interval(secs => least(3600, %(interval)s * power(2, least(consecutive_failures, 12)))),
    updated_at = now()
where connection_id = %(connection_id)s and capability = %(capability)s and stream = %(stream)s

-- name: due_live
-- Live capabilities whose next run is due, on active connections with the capability enabled.
-- While pushes arrive (one within the last push_poll_seconds), polling is only the safety net: a
-- run is due push_poll_seconds after the last success; when pushes stop, the normal interval again.
select c.id as connection_id, c.tenant_id, c.provider, s.capability
from integrations.connections c
cross join lateral unnest(c.capabilities) as s(capability)
left join integrations.sync_state st
    on st.connection_id = c.id and st.capability = s.capability and st.stream = ''
left join integrations.push_received push
    on push.connection_id = c.id and push.capability = s.capability
where c.status = 'active'
  and (c.provider || ':' || s.capability) = any(%(capabilities)s)
  and coalesce(st.status, 'ready') <> 'awaiting_consent'
  and (st.next_run_at is null or st.next_run_at <= now())
  and (push.last_received_at is null
       or push.last_received_at < now() - make_interval(secs => %(push_poll_seconds)s)
       or st.last_success_at is null
       or st.last_success_at <= now() - make_interval(secs => %(push_poll_seconds)s))
order by c.id, s.capability

-- name: run_progress
-- A manual run's job status and its progress row, for `sync once --wait`.
select j.status as job_status, s.cursor, s.last_error
from procrastinate_jobs as j
left join integrations.sync_state as s
    on s.connection_id = %(connection_id)s and s.capability = %(capability)s and s.stream = %(stream)s
where j.id = %(job_id)s
