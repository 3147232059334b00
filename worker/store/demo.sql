-- Read-only queries `integrations demo` prints (worker/demo/report.py, run.py).

-- name: product_relations
select table_schema || '.' || table_name as name from information_schema.tables
where table_schema = 'product'
order by table_name

-- name: columns
select column_name from information_schema.columns
where table_schema = %(schema)s and table_name = %(table)s

-- name: connections
select id, account_id, status, capabilities from integrations.connections
where tenant_id = %(tenant_id)s
order by account_id

-- name: capability_states
select c.account_id, s.capability, s.stream, s.status, s.last_success_at, s.last_error
from integrations.sync_state as s
join integrations.connections as c on c.id = s.connection_id
where c.tenant_id = %(tenant_id)s
order by c.account_id, s.capability, s.stream

-- name: staged_counts
select resource_type, count(*) as n from integrations.raw_records
where tenant_id = %(tenant_id)s
group by resource_type
order by resource_type

-- name: sample_emails
select e.email_id, e.subject, e.from_address, e.sent_at, e.direction,
       (select count(*) from product.email_mailboxes as m where m.email_id = e.email_id) as mailboxes
from product.emails as e
where e.tenant_id = %(t)s
  and (%(ids)s::text[] is null or e.email_id::text = any(%(ids)s::text[]))
order by e.sent_at desc nulls last, e.email_id
limit %(n)s

-- name: shared_emails
-- Emails held by more than one mailbox of the tenant: one product row, several mailbox rows.
select e.email_id, e.subject, e.from_address, e.sent_at, e.direction, count(*) as mailboxes
from product.emails as e
join product.email_mailboxes as m on m.email_id = e.email_id
where e.tenant_id = %(tenant_id)s
group by 1, 2, 3, 4, 5
having count(*) > 1
order by e.sent_at desc nulls last
limit %(limit)s

-- name: cross_provider_emails
-- Emails held by mailboxes of more than one provider: one product row, a mailbox row per copy.
select e.email_id, e.subject, e.from_address, e.sent_at, e.direction, count(*) as mailboxes,
       string_agg(distinct m.provider, '+' order by m.provider) as providers
from product.emails as e
join product.email_mailboxes as m on m.email_id = e.email_id
where e.tenant_id = %(tenant_id)s
group by 1, 2, 3, 4, 5
having count(distinct m.provider) > 1
order by e.sent_at desc nulls last
limit %(limit)s

-- name: cross_provider_meetings
-- Meetings whose copies come from calendars of more than one provider.
select u.meeting_id::text as meeting_id
from integrations_staging.int_calendar_events_unioned as u
join product.meetings as m on m.meeting_id = u.meeting_id
where m.tenant_id = %(tenant_id)s and not u.is_deleted
group by u.meeting_id
having count(distinct u.provider) > 1
limit %(limit)s

-- name: email_ids
select email_id::text as id from product.emails where tenant_id = %(tenant_id)s

-- name: meetings
select m.meeting_id::text as meeting_id, m.title, m.status, m.start_at, m.start_date, m.organizer_address,
       (select count(*) from product.meeting_attendees as a where a.meeting_id = m.meeting_id) as attendees
from product.meetings as m
where m.tenant_id = %(tenant_id)s
order by m.start_at nulls last, m.start_date

-- name: tenant_connection_ids
select id from integrations.connections where tenant_id = %(tenant_id)s

-- name: drop_queued_jobs
delete from procrastinate_jobs
where status = 'todo' and args ->> 'connection_id' = any(%(connection_ids)s)

-- name: delete_tenant_connections
-- Cascades to their raw records, sync state and outbound actions.
delete from integrations.connections where tenant_id = %(tenant_id)s

-- name: meetings_by_uid
select meeting_id::text as meeting_id from product.meetings
where tenant_id = %(tenant_id)s and ical_uid = any(%(ical_uids)s)

-- name: outbound_results
select action, status, last_error from integrations.outbound
where id = any(%(ids)s)
order by created_at

-- name: ready_jobs
-- Jobs a worker on these queues would run now (the push step waits for them before timing a push).
select task_name, count(*) as n from procrastinate_jobs
where queue_name = any(%(queues)s) and status in ('todo', 'doing')
  and (scheduled_at is null or scheduled_at <= now())
group by task_name
order by task_name

-- name: last_job_id
select coalesce(max(id), 0) as id from procrastinate_jobs

-- name: jobs_since
-- The jobs deferred after `after` (an id from last_job_id): the push's sync and the normalize it asked for.
select id, task_name, status, args ->> 'connection_id' as connection_id from procrastinate_jobs
where id > %(after)s
order by id

-- name: email_by_message_id
select e.email_id, e.subject, e.sent_at from product.emails as e
where e.tenant_id = %(tenant_id)s
  and lower(trim(both '<>' from e.message_id_header)) = lower(trim(both '<>' from %(message_id)s))

-- name: push_received
select capability, notifications, last_received_at from integrations.push_received
where connection_id = %(connection_id)s
order by capability

-- name: task_succeeded
select count(*) as n from procrastinate_jobs where task_name = %(task)s and status = 'succeeded'
