-- The state-like Prometheus families, computed at scrape time (worker/observe/database.py): a few
-- aggregates, grouped by names the code owns (provider, capability, status), never by tenant,
-- account or connection.

-- name: live_sync
-- Each enabled live capability of an active connection (its main row; never run counts too): how
-- long since its last success (the connection's creation when none), how long it has been due, and
-- whether it is overdue: silent for more than `factor` intervals, the interval being the push poll
-- interval while pushes arrive, else the sync interval (worker/observe/health.py says the same).
with live as (
    select c.provider, s.capability, c.created_at, st.last_success_at, st.next_run_at,
           case when push.last_received_at >= now() - make_interval(secs => %(push_poll_seconds)s)
                then %(push_poll_seconds)s else %(interval_seconds)s end as interval_seconds
    from integrations.connections as c
    cross join lateral unnest(c.capabilities) as s(capability)
    left join integrations.sync_state as st
        on st.connection_id = c.id and st.capability = s.capability and st.stream = ''
    left join integrations.push_received as push
        on push.connection_id = c.id and push.capability = s.capability
    where c.status = 'active'
      and (c.provider || ':' || s.capability) = any(%(capabilities)s)
      and coalesce(st.status, 'pending') not in ('awaiting_consent', 'needs_reauth', 'disabled')
)

select provider, capability, count(*) as capabilities,
       coalesce(max(extract(epoch from now() - coalesce(last_success_at, created_at))), 0)::float8
           as last_success_age,
       coalesce(max(extract(epoch from now() - coalesce(next_run_at, created_at)))
                filter (where next_run_at is null or next_run_at <= now()), 0)::float8 as oldest_due_age,
       count(*) filter (where now() - coalesce(last_success_at, created_at)
                        > make_interval(secs => interval_seconds * %(factor)s)) as overdue
from live
group by provider, capability
order by provider, capability

-- name: capability_states
select c.provider, s.capability, s.status, count(*) as n
from integrations.sync_state as s
join integrations.connections as c on c.id = s.connection_id
where s.stream not like 'run:%%'
group by 1, 2, 3
order by 1, 2, 3

-- name: connection_states
select provider, status, count(*) as n from integrations.connections group by 1, 2 order by 1, 2

-- name: item_failures
select c.provider, f.capability, count(*) as n
from integrations.item_failures as f
join integrations.connections as c on c.id = f.connection_id
where f.resolved_at is null
group by 1, 2
order by 1, 2

-- name: quarantined
select resource_type, count(*) as n from integrations_staging.normalize_quarantine group by 1 order by 1

-- name: jobs
select queue_name, task_name, status::text as status, count(*) as n
from procrastinate_jobs
group by 1, 2, 3
order by 1, 2, 3

-- name: outbound
select c.provider, o.action, o.status, count(*) as n
from integrations.outbound as o
join integrations.connections as c on c.id = o.connection_id
group by 1, 2, 3
order by 1, 2, 3

-- name: workers
-- procrastinate's workers and their heartbeats; alive: a beat within the stalled-job threshold.
select id, last_heartbeat, extract(epoch from now() - last_heartbeat)::float8 as age,
       last_heartbeat >= now() - make_interval(secs => %(stalled_seconds)s) as alive
from procrastinate_workers
order by last_heartbeat desc
