-- name: periodic_due
-- What a periodic tick needs to know of the whole build (a normalize job without `select`):
-- `pending`, one is queued or running (pages staged meanwhile asked for their own runs, which wait
-- under their queueing locks); `due`, none started within the interval. Selective runs neither
-- count nor block: under a stream of pushes they never stop, and the whole build must still come.
-- Finished jobs deleted by delete_old_jobs leave no start on record: a build is then due.
with whole_builds as (
    select j.id, j.status
    from procrastinate_jobs as j
    where j.task_name = 'normalize'
      and coalesce(j.args -> 'select', 'null'::jsonb) = 'null'::jsonb
)

select
    exists (select 1 from whole_builds where status in ('todo', 'doing')) as pending,
    not exists (
        select 1
        from whole_builds as b
        join procrastinate_events as e on e.job_id = b.id and e.type = 'started'
        where e.at > now() - make_interval(secs => %(interval_seconds)s)
    ) as due
