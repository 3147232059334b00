"""Normalization in the worker: one dbt run at a time, requests coalesced, a run every minute.

`normalize` carries both locks: `lock` serializes runs (two dbt builds never overlap on one
database) and `queueing_lock` keeps at most one run waiting, so a burst of staged pages asks for
one more run, not one per page. dbt runs as a subprocess awaited asynchronously, so the event
loop -- and procrastinate's heartbeat on it -- keeps running during a build.
"""

from __future__ import annotations

import logging
import time

from procrastinate import exceptions as procrastinate_exceptions

from worker.app import app
from worker.sync.stager import on_staged

logger = logging.getLogger(__name__)

NORMALIZE_LOCK = "normalize"


class NormalizeFailed(Exception):
    """dbt exited with a non-zero code; the job is marked failed with the tail of its output."""


@app.task(name="normalize", queue="normalize", lock=NORMALIZE_LOCK, queueing_lock=NORMALIZE_LOCK,
          pass_context=False)
async def normalize(full_refresh: bool = False, select: list[str] | None = None) -> int:
    """Run `dbt build` on the configured (or embedded) database; raise when dbt fails. With
    `select` (staging folders: `slack`, `google`…), `dbt run` of those models and everything
    downstream of them only: what a staged page needs, without the rest of the project or its
    data tests (the periodic full build runs those); in this process, the project parsed once
    (worker/normalize/warm.py), unless INTEGRATIONS_NORMALIZE_IN_PROCESS is false."""
    from worker.db.url import resolve_database_url
    from worker.normalize import run_dbt
    from worker.normalize.runner import rows_affected
    from worker.normalize.selection import selectors
    from worker.observe.metrics import observe_normalize
    from worker.settings import get_settings

    url = resolve_database_url(get_settings())
    tail: list[str] = []
    targets: list = []

    def on_line(line: str) -> None:
        logger.info("dbt: %s", line)
        tail.append(line)
        del tail[:-40]

    def measured(kind: str, started: float, code: int) -> int:
        rows = rows_affected(targets[-1]) if targets and code == 0 else None
        observe_normalize(kind, "ok" if code == 0 else "failed", time.monotonic() - started, rows)
        return code

    settings = get_settings()
    if select and not full_refresh:
        started = time.monotonic()
        if settings.normalize_in_process:
            from worker.normalize.warm import run_warm

            warm_dir = settings.data_dir.resolve() / "dbt" / "warm"
            code = await run_warm(url, selectors(select), warm_dir, on_line)
            targets.append(warm_dir / "target")
        else:
            code = await run_dbt(url, command="run", select=selectors(select), on_line=on_line,
                                 on_target=targets.append)
        if measured("selective", started, code) == 0:
            return code
        # a project never built (a fresh database), or a model the selection needs but left out:
        # the whole build, which a selective run only ever shortcuts
        logger.warning("dbt run of %s exited with %s; building the whole project instead", ", ".join(select), code)
    started = time.monotonic()
    code = measured("whole", started, await run_dbt(url, full_refresh=full_refresh, on_line=on_line,
                                                     on_target=targets.append))
    if code != 0:
        raise NormalizeFailed(f"dbt build exited with {code}:\n" + "\n".join(tail))
    return code


def _run_for(resources: frozenset[str] | None):
    """The deferrable run a staged page asks for: the models its resource types feed when
    INTEGRATIONS_NORMALIZE_SELECTIVE is on (one waiting run per set of folders), else the whole
    project (one waiting run)."""
    from worker.normalize.selection import folders
    from worker.settings import get_settings

    chosen = folders(resources) if resources and get_settings().normalize_selective else None
    if chosen is None:
        return normalize, {}
    return normalize.configure(queueing_lock=f"{NORMALIZE_LOCK}:{','.join(chosen)}"), {"select": chosen}


async def request_normalize(resources: frozenset[str] | None = None, connection=None) -> bool:
    """Ask for a normalize run; False when one is already waiting (the requests coalesce).

    With `connection` (an async psycopg connection inside the caller's transaction) the job exists
    only if that transaction commits; the insert runs in a savepoint so `AlreadyEnqueued` does not
    abort the caller's transaction.
    """
    run, kwargs = _run_for(resources)
    if connection is None:
        try:
            await run.defer_async(**kwargs)
        except procrastinate_exceptions.AlreadyEnqueued:
            return False
        return True
    try:
        async with connection.transaction():
            await normalize.configure(connection=connection).defer_async()
    except procrastinate_exceptions.AlreadyEnqueued:
        return False
    return True


def request_whole_build(database_url: str) -> bool:
    """From synchronous code (the CLI): ask for the whole build; False when one is already waiting
    (it starts after this call, so it sees what was committed before it). Deleting a connection
    calls it: its rows leave the product tables at the next whole build, and selective runs or the
    periodic interval (15 min) must not be what that waits for."""
    from worker.app import open_app

    with open_app(database_url):
        try:
            normalize.defer()
        except procrastinate_exceptions.AlreadyEnqueued:
            return False
    return True


@app.periodic(cron="* * * * *", periodic_id="normalize")
@app.task(name="normalize_periodic", queue="normalize", queueing_lock="normalize_periodic", pass_context=False)
async def normalize_periodic(timestamp: int) -> bool:
    """Each minute: request the whole build when none started in the last
    INTEGRATIONS_NORMALIZE_INTERVAL_SECONDS and no run is queued or running; True when requested.

    A tick during a run adds nothing: what was staged meanwhile asked for its own run, and the
    next tick comes a minute later. The interval keeps whole builds (every model and data test,
    ten seconds and more) from holding up, every minute, the second-long runs pushes ask for."""
    from worker.settings import get_settings
    from worker.store import query

    async with app.connector.pool.connection() as conn:
        row = await (await conn.execute(query("normalize.periodic_due"),
                                        {"interval_seconds": get_settings().normalize_interval_seconds})).fetchone()
    if row[0] or not row[1]:
        return False
    return await request_normalize()


# a commit that stored something new asks for a run (the stager knows nothing of tasks)
on_staged(request_normalize)
