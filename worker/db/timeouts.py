"""Session timeouts, so that a process frozen inside a transaction (SIGSTOP, a paused VM) cannot hold
its locks for ever, nor make whoever needs them wait for ever:

- a worker's sessions end once idle in a transaction longer than
  INTEGRATIONS_WORKER_IDLE_IN_TRANSACTION_SECONDS (`idle_in_transaction_session_timeout`): PostgreSQL
  rolls the transaction back and frees its locks; the job, if it ever wakes, fails and is retried;
- the paths that defer jobs for an operator or a provider (`sync once`, `sync now`, serve's enqueue)
  wait at most INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS for a lock (`lock_timeout`), then fail saying so.

Both are set per session through libpq's `options`, added to any the database URL already carries.
"""

from __future__ import annotations

import psycopg
from psycopg.conninfo import conninfo_to_dict

from worker.errors import IntegrationsError


def pool_kwargs(url: str, **settings: float) -> dict:
    """Connection keyword arguments setting each PostgreSQL setting (seconds -> milliseconds)."""
    given = conninfo_to_dict(url).get("options") or ""
    extra = " ".join(f"-c {name}={int(seconds * 1000)}" for name, seconds in settings.items())
    return {"options": f"{given} {extra}".strip()}


def is_lock_timeout(error: BaseException) -> bool:
    """Whether `error` is (or was caused by) PostgreSQL's lock_timeout; procrastinate wraps it."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, psycopg.errors.LockNotAvailable):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


class LockTimeout(IntegrationsError):
    def __init__(self, what: str, seconds: float) -> None:
        super().__init__(
            f"{what}: a lock it needs was held for more than {seconds:g} s (INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS),"
            " most likely by a worker stopped inside a transaction (pg_stat_activity shows it 'idle in transaction');"
            " its session ends after INTEGRATIONS_WORKER_IDLE_IN_TRANSACTION_SECONDS: retry then")
