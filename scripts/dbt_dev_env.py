"""Run a command with the environment dbt's profile reads, pointed at a migrated scratch database.

`make lint-sql` needs it: sqlfluff's dbt templater compiles every model, and dbt compiles only
with a database it can connect to. The database is `dbt_dev` on this checkout's embedded test
server (.integrations/test-pg, started when not running), created and migrated when missing, or
the one INTEGRATIONS_TEST_DATABASE_URL names. Usage:

    .venv/bin/python scripts/dbt_dev_env.py .venv/bin/sqlfluff lint dbt_project/models
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg

CHECKOUT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(CHECKOUT))

from worker.db.connect import connect  # noqa: E402
from worker.db.migrate import migrate  # noqa: E402
from worker.normalize.runner import dbt_env  # noqa: E402
from tests.fixtures.database import _server_url, with_database  # noqa: E402

DATABASE = "dbt_dev"


def scratch_database() -> str:
    """The URL of a migrated `dbt_dev` database on the test server (created when missing)."""
    server = _server_url()
    with psycopg.connect(server, autocommit=True) as admin:
        if not admin.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
            admin.execute(f'create database "{DATABASE}"')
    url = with_database(server, DATABASE)
    with connect(url) as conn:
        migrate(conn)
    return url


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    env = dbt_env(scratch_database())
    os.chdir(CHECKOUT)
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
