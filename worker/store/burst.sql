-- name: busy
-- Whether a burst worker has anything left: a job it fetched and still runs (`doing` under its id),
-- or a job of its queues procrastinate's fetch would take now (procrastinate_fetch_job_v2's own
-- conditions: `todo`, due, and no `doing` job holding its lock).
select exists (
           select 1 from procrastinate_jobs
           where worker_id = %(worker_id)s and status = 'doing'
       )
       or exists (
           select 1 from procrastinate_jobs jobs
           where jobs.status = 'todo'
             and (%(queues)s::varchar[] is null or jobs.queue_name = any(%(queues)s::varchar[]))
             and (jobs.scheduled_at is null or jobs.scheduled_at <= now())
             and (jobs.lock is null or not exists (
                     select 1 from procrastinate_jobs other
                     where other.lock = jobs.lock and other.status = 'doing'))
       ) as busy
