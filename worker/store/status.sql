-- name: capabilities
-- Every capability row of the chosen connections, with what was staged for it and when. Manual
-- runs (stream `run:<id>`) appear only while their last attempt failed: a failed run is never silent.
select
    c.id as connection_id, c.tenant_id, c.profile_id, c.provider, c.account_id,
    c.status as connection_status, c.status_reason, c.capabilities as enabled, c.created_at as connection_created_at,
    s.capability, s.stream, s.status, s.cursor, s.last_success_at, s.last_attempt_at, s.last_error,
    s.consecutive_failures, s.next_run_at, s.full_syncs, s.last_full_sync_reason, s.reconcile,
    staged.records as staged_records, staged.newest as newest_staged_at,
    now() - staged.newest as lag,
    push.last_received_at as last_push_at, push.notifications as push_notifications,
    watch.expires_at as watch_expires_at
from integrations.connections as c
join integrations.sync_state as s on s.connection_id = c.id
left join integrations.push_received as push
    on push.connection_id = c.id and push.capability = s.capability and s.stream = ''
left join lateral (  -- the watch a provider needs before it pushes (Gmail, Calendar): the soonest to expire
    select min(w.expires_at) as expires_at
    from integrations.push_watches as w
    where w.connection_id = c.id and w.capability = s.capability and s.stream = ''
) as watch on true
left join lateral (
    select count(*) as records, max(r.ingested_at) as newest
    from integrations.raw_records as r
    where r.connection_id = c.id and r.capability = s.capability and s.stream = ''
) as staged on true
where (%(connection_id)s::uuid is null or c.id = %(connection_id)s)
  and (s.stream not like 'run:%%' or s.status in ('failing', 'needs_reauth'))
order by c.tenant_id, c.account_id, c.id, s.capability, s.stream

-- name: jobs
-- Queued and running jobs per connection (every task takes connection_id as an argument).
select args ->> 'connection_id' as connection_id, task_name, status, count(*) as jobs
from procrastinate_jobs
where status in ('todo', 'doing') and args ? 'connection_id'
  and (%(connection_id)s::text is null or args ->> 'connection_id' = %(connection_id)s::text)
group by 1, 2, 3

-- name: item_failures
select connection_id, capability, count(*) as open_failures, max(last_error) as sample_error
from integrations.item_failures
where resolved_at is null and (%(connection_id)s::uuid is null or connection_id = %(connection_id)s)
group by 1, 2

-- name: quarantined
select count(*) as n from integrations_staging.normalize_quarantine
where connection_id = %(connection_id)s and resource_type = %(resource_type)s

-- name: failing_normalize_tests
-- Data tests whose last run did not pass: they only warn (blocking no tenant), so status shows them.
select test_name, model, status, failures, checked_at
from integrations_staging.normalize_test_results
where status not in ('pass', 'success')
order by test_name

-- name: normalized_email_mailboxes
select count(*) as n from product.email_mailboxes
where connection_id = %(connection_id)s and not is_deleted

-- name: normalized_calendar_events
select count(*) as n from integrations_staging.int_calendar_events_unioned
where connection_id = %(connection_id)s and quarantine_reason is null and not is_deleted

-- name: normalized_chat_messages
select count(*) as n from product.chat_messages
where connection_id = %(connection_id)s and not is_deleted
