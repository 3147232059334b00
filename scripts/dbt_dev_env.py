"""Run a command with the environment dbt's profile reads, pointed at a migrated scratch database.

`make lint-sql` needs it: sqlfluff's dbt templater compiles every model, and dbt compiles only
with a database it can connect to. The database is `dbt_dev` on this checkout's embedded test
server (.integrations/test-pg, started when not running), or on the server
INTEGRATIONS_TEST_DATABASE_URL names; it is created and migrated when missing.

What dbt compiles depends on the database: an incremental model renders its `is_incremental()`
branch only when its table exists. So the lint runs twice: `--fresh` (the database recreated,
no model built: every full-refresh branch) and `--built` (`dbt run` first: every incremental
branch). Usage:

    .venv/bin/python scripts/dbt_dev_env.py [--fresh | --built] .venv/bin/sqlfluff lint dbt_project/models
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

CHECKOUT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CHECKOUT))

from tests.fixtures.database import _server_url, with_database  # noqa: E402
from worker.db.connect import connect  # noqa: E402
from worker.db.migrate import migrate  # noqa: E402
from worker.normalize import dbt_env  # noqa: E402

DATABASE = "dbt_dev"


def scratch_database(*, fresh: bool) -> str:
    """The URL of a migrated `dbt_dev` database on the test server (recreated when `fresh`)."""
    server = _server_url()
    with psycopg.connect(server, autocommit=True) as admin:
        if fresh:
            admin.execute(f'drop database if exists "{DATABASE}" with (force)')
        if not admin.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
            admin.execute(f'create database "{DATABASE}"')
    url = with_database(server, DATABASE)
    with connect(url) as conn:
        migrate(conn)
    return url


def main(argv: list[str]) -> int:
    mode = argv.pop(0) if argv and argv[0] in ("--fresh", "--built") else None
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    env = dbt_env(scratch_database(fresh=mode is not None))
    os.chdir(CHECKOUT)
    if mode == "--built":
        dbt = Path(sys.executable).parent / "dbt"
        subprocess.run([str(dbt), "run", "--project-dir", str(CHECKOUT), "--profiles-dir", str(CHECKOUT)],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
