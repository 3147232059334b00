"""Invariant 5: deleting a connection revokes the grant at the provider and never touches another
connection's grant. Driven through the real CLI (a subprocess) against the sandbox over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import httpx
import pytest

from tests.fixtures.accounts import connect_account
from worker.connections import get_connection, load_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.errors import NotFound
from worker.providers.google.capabilities import GMAIL_READONLY
from worker.settings import get_settings

CAPS = {"sync_inbox_live": None}


def address(name: str) -> str:
    """An address no other test's connection holds (the session database is shared)."""
    return f"{name}.{uuid.uuid4().hex[:8]}@tenant.example"


@pytest.fixture
def google(sandbox_env, settings_env):
    return sandbox_env


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worker.cli.__main__", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=60)


def stored_tokens(url: str, connection_id) -> dict:
    with connect(url) as conn:
        return load_credentials(keyring_from_settings(get_settings()), get_connection(conn, connection_id))


def refresh(sb, refresh_token: str) -> httpx.Response:
    return httpx.post(sb.base_url + "/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token,
                                                    "client_id": sb.client_id, "client_secret": sb.client_secret})


def profile(sb, access_token: str) -> int:
    return httpx.get(sb.base_url + "/gmail/v1/users/me/profile",
                     headers={"Authorization": f"Bearer {access_token}"}).status_code


def connection_exists(url: str, connection_id) -> bool:
    with connect(url) as conn:
        try:
            get_connection(conn, connection_id)
        except NotFound:
            return False
    return True


def test_deleting_a_connection_revokes_its_grant_and_leaves_other_grants_working(google, database_url):
    gone, _ = connect_account(google, database_url, address("ana"), CAPS, [GMAIL_READONLY])
    kept, _ = connect_account(google, database_url, address("ben"), CAPS, [GMAIL_READONLY])
    gone_tokens, kept_tokens = stored_tokens(database_url, gone), stored_tokens(database_url, kept)

    result = cli("connections", "delete", str(gone), "--yes")

    assert result.returncode == 0, result.stderr
    assert f"deleted connection {gone}" in result.stdout
    assert "revoked its google grant" in result.stdout
    assert google.count_requests(method_id="oauth.revoke") == 1
    assert not connection_exists(database_url, gone)
    answer = refresh(google, gone_tokens["refresh_token"])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert profile(google, gone_tokens["token"]) == 401
    # the other connection's grant is untouched
    assert refresh(google, kept_tokens["refresh_token"]).status_code == 200
    assert profile(google, kept_tokens["token"]) == 200


def test_delete_removes_our_data_but_fails_loudly_when_the_grant_cannot_be_revoked(google, database_url):
    cid, _ = connect_account(google, database_url, address("ana"), CAPS, [GMAIL_READONLY])
    tokens = stored_tokens(database_url, cid)
    google.add_fault(r"^/revoke$", kind="reset", count=10)

    result = cli("connections", "delete", str(cid), "--yes")

    assert result.returncode == 1
    assert f"deleted connection {cid}" in result.stdout
    assert "could not revoke its google grant" in result.stderr
    assert "https://myaccount.google.com/permissions" in result.stderr
    assert tokens["refresh_token"] not in result.stdout + result.stderr
    assert not connection_exists(database_url, cid)
    # what the message says is true: the grant is still alive at the provider
    assert refresh(google, tokens["refresh_token"]).status_code == 200


def test_deleting_a_connection_whose_grant_is_already_revoked_succeeds(google, database_url):
    ana = address("ana")
    cid, _ = connect_account(google, database_url, ana, CAPS, [GMAIL_READONLY])
    google.revoke_refresh_tokens(ana)

    result = cli("connections", "delete", str(cid), "--yes")

    assert result.returncode == 0, result.stderr
    assert "already revoked" in result.stdout
    assert not connection_exists(database_url, cid)


def test_deleting_one_of_two_connections_of_the_same_account_keeps_the_shared_grant(google, database_url):
    ana = address("ana")
    gone, _ = connect_account(google, database_url, ana, CAPS, [GMAIL_READONLY])
    other, _ = connect_account(google, database_url, ana, CAPS, [GMAIL_READONLY])
    other_tokens = stored_tokens(database_url, other)

    result = cli("connections", "delete", str(gone), "--yes")

    assert result.returncode == 0, result.stderr
    assert f"kept its google grant: connection {other} uses the same account" in result.stdout
    assert google.count_requests(method_id="oauth.revoke") == 0
    assert not connection_exists(database_url, gone)
    assert refresh(google, other_tokens["refresh_token"]).status_code == 200


def test_deleting_a_connection_queues_the_whole_build_that_removes_its_rows(google, database_url):
    """Selective runs build only what a staged page feeds and the periodic whole build waits up to
    INTEGRATIONS_NORMALIZE_INTERVAL_SECONDS: a deletion asks for the whole build at once."""
    cid, _ = connect_account(google, database_url, address("cleo"), CAPS, [GMAIL_READONLY])
    with connect(database_url) as conn:  # this session's database: no other test's run waits now
        conn.execute("delete from procrastinate_jobs where task_name = 'normalize' and status = 'todo'")
        conn.commit()

    result = cli("connections", "delete", str(cid), "--yes")

    assert result.returncode == 0, result.stderr
    assert "leave the product tables at the next normalize run (queued)" in result.stdout
    with connect(database_url) as conn:
        waiting = conn.execute("select args from procrastinate_jobs where task_name = 'normalize'"
                               " and status = 'todo'").fetchall()
    assert [job["args"] for job in waiting] == [{}]  # the whole build: no `select`
