-- name: insert
-- A key names one request per connection and action (the unique index of sql/013).
insert into integrations.outbound
    (connection_id, tenant_id, action, idempotency_key, request, request_fingerprint, message_id_header)
values (%(connection_id)s, %(tenant_id)s, %(action)s, %(idempotency_key)s, %(request)s, %(request_fingerprint)s,
        %(message_id_header)s)
on conflict (connection_id, action, idempotency_key) do nothing
returning *

-- name: by_key
select * from integrations.outbound
where connection_id = %(connection_id)s and action = %(action)s and idempotency_key = %(idempotency_key)s

-- name: get
select * from integrations.outbound where id = %(id)s

-- name: start_attempt
-- Committed before the provider is called: attempts > 1 means an earlier attempt may have
-- succeeded, and attempt_started_at (the first attempt's) bounds what it may have created.
update integrations.outbound
set attempts = attempts + 1, status = 'sending', attempt_started_at = coalesce(attempt_started_at, now())
where id = %(id)s and status in ('pending', 'sending')
returning *

-- name: provider_started
-- The provider's clock before the first attempt that may reach it (committed before that attempt
-- calls it); a later attempt never moves it. %(at)s NULL (the provider's answer had no Date): the
-- database's clock less %(margin)s seconds for the two clocks.
update integrations.outbound
set provider_started_at = coalesce(provider_started_at, %(at)s::timestamptz,
                                   now() - %(margin)s * interval '1 second')
where id = %(id)s
returning *

-- name: done
update integrations.outbound
set status = 'done', provider_id = %(provider_id)s, thread_id = %(thread_id)s, completed_at = now(), last_error = null
where id = %(id)s
returning *

-- name: fail
-- A retryable failure: the row keeps its state, the reason is visible until the retry succeeds.
update integrations.outbound set last_error = %(error)s where id = %(id)s
returning *

-- name: wait_for_reauth
-- The grant is revoked or lacks a scope: the action waits, visibly, until the account is reconnected.
-- For a revoked grant only while the connection still needs reauth, read under a share lock: a
-- reconnect committing meanwhile (it resumes waiting rows) makes this park nothing, and the job
-- retries with the new grant instead of waiting for a reconnect that already happened.
update integrations.outbound as o
set status = 'waiting_reauth', last_error = %(error)s
from (
    select id from integrations.connections
    where id = (select connection_id from integrations.outbound where id = %(id)s)
      and (status = 'needs_reauth' or not %(only_while_needs_reauth)s)
    for share
) as c
where o.id = %(id)s and o.connection_id = c.id and o.status in ('pending', 'sending')
returning o.*

-- name: give_up
-- A terminal failure with the reason the CRM shows; a late job never revives it (start_attempt).
update integrations.outbound
set status = 'failed', last_error = %(error)s, completed_at = now()
where id = %(id)s and status in ('pending', 'sending', 'waiting_reauth')
returning *

-- name: resume_waiting_sends
-- Reconnected: waiting sends become pending again (attempts kept, so a retry still looks first).
update integrations.outbound
set status = 'pending', last_error = null
where connection_id = %(connection_id)s and status = 'waiting_reauth' and action = any(%(actions)s)
returning id, connection_id

-- name: open_by_connection
-- What `status` shows: actions not done, per connection and state, with the newest reason.
select connection_id, status, count(*) as actions,
       (array_agg(last_error order by created_at desc) filter (where last_error is not null))[1] as reason
from integrations.outbound
where status <> 'done' and (%(connection_id)s::uuid is null or connection_id = %(connection_id)s)
group by connection_id, status

-- name: fail_conflict
-- A meeting action refused with 412: failed for good, both versions kept in last_error (JSON).
update integrations.outbound set status = 'failed', completed_at = now(), last_error = %(error)s
where id = %(id)s
