"""The procrastinate application: one job queue on the project's PostgreSQL.

Tasks register on `app` at import; the connector is bound to a database URL only when a command
or a worker opens it, so importing the package never touches a database.
"""

from __future__ import annotations

import contextlib
from typing import AsyncIterator, Iterator

import procrastinate

from worker.db.timeouts import pool_kwargs
from worker.observe.context import job_middleware

TASK_MODULES = ["worker.tasks"]
# periodic scheduling and housekeeping run apart from sync jobs; `integrations worker` runs every queue
MAINTENANCE = "maintenance"

# every worker (the CLI's, a test's, the demo's) runs each job with its log fields bound
app = procrastinate.App(connector=procrastinate.PsycopgConnector(), import_paths=TASK_MODULES,
                        worker_defaults={"worker_middleware": [job_middleware]})


def connector_for(url: str, max_size: int = 10, timeouts: dict[str, float] | None = None
                  ) -> procrastinate.PsycopgConnector:
    """`timeouts`: PostgreSQL settings in seconds for every session of the pool (worker/db/timeouts.py)."""
    extra = {"kwargs": pool_kwargs(url, **timeouts)} if timeouts else {}
    return procrastinate.PsycopgConnector(conninfo=url, min_size=1, max_size=max_size, **extra)


@contextlib.asynccontextmanager
async def open_app_async(url: str, max_size: int = 10, timeouts: dict[str, float] | None = None
                         ) -> AsyncIterator[procrastinate.App]:
    """Bind the app to `url` and open its pool (workers, tasks, tests)."""
    with app.replace_connector(connector_for(url, max_size, timeouts)):
        async with app.open_async():
            app.perform_import_paths()
            yield app


@contextlib.contextmanager
def open_app(url: str) -> Iterator[procrastinate.App]:
    """Synchronous twin for CLI commands that only defer or inspect jobs."""
    with app.replace_connector(connector_for(url, max_size=2)):
        with app.open():
            app.perform_import_paths()
            yield app
