-- name: run_pending
-- A normalize run is queued or running: a periodic tick then has nothing to add (pages staged
-- meanwhile requested their own run, which waits under the queueing lock).
select exists (
    select 1 from procrastinate_jobs where task_name = 'normalize' and status in ('todo', 'doing')
) as pending
