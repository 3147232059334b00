"""`integrations connect slack`: a workspace install for the tenant (no profile), OAuth v2 with PKCE."""

import asyncio
import json
import os
import subprocess
import sys
import uuid

import httpx

from tests.slack.conftest import new_team
from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings


def start_connect(*capabilities, tenant=None, extra=()):
    tenant = tenant or str(uuid.uuid4())
    args = [sys.executable, "-m", "worker.cli.__main__", "connect", "slack", "--tenant", tenant,
            "--no-browser", "--timeout", "30", "--json", *extra]
    for capability in capabilities:
        args += ["--capability", capability]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())


def consent(proc, team: str | None = None) -> str:
    """Read the printed consent URL and install through the sandbox like a browser would."""
    consent_url = None
    for line in proc.stdout:
        if line.startswith("http"):
            consent_url = line.strip()
            break
    assert consent_url, proc.stderr.read()
    url = httpx.URL(consent_url)
    if team:
        url = url.copy_set_param("team", team)
    answer = httpx.get(url, follow_redirects=True, timeout=10)
    assert answer.status_code == 200, answer.text
    return consent_url


def finish(proc) -> dict:
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return json.loads(out)


def connection(database_url, connection_id) -> dict:
    with connect(database_url) as conn:
        return conn.execute("select * from integrations.connections where id = %s", (connection_id,)).fetchone()


def test_install_stores_the_team_as_account_without_profile_and_asks_minimal_scopes(ssb, database_url):
    team = new_team()
    proc = start_connect("sync_channels_live", "post_message")
    url = consent(proc, team)
    shown = finish(proc)
    asked = set(httpx.URL(url).params["scope"].split(","))
    assert asked == {"channels:history", "channels:read", "groups:history", "groups:read", "users:read",
                     "users:read.email", "chat:write"}
    assert httpx.URL(url).params["code_challenge_method"] == "S256"
    row = connection(database_url, shown["id"])
    assert row["provider"] == "slack" and row["account_id"] == team and row["profile_id"] is None
    stored = load_credentials(keyring_from_settings(get_settings()), row)
    assert stored["token"].startswith("xoxb-") and stored["token"].encode() not in bytes(row["credentials"])
    assert stored["token"] not in json.dumps(shown)
    assert {s["capability"]: s["status"] for s in shown["capability_states"]} == {
        "sync_channels_live": "ready", "post_message": "ready"}


def test_a_second_install_of_the_same_team_updates_the_connection(ssb, database_url):
    team, tenant = new_team(), str(uuid.uuid4())
    proc = start_connect("sync_channels_live", tenant=tenant)
    consent(proc, team)
    first = finish(proc)
    proc = start_connect("post_message", tenant=tenant)
    consent(proc, team)
    second = finish(proc)
    assert second["id"] == first["id"]
    assert set(connection(database_url, first["id"])["capabilities"]) == {"sync_channels_live", "post_message"}
    with connect(database_url) as conn:
        count = conn.execute("select count(*) as n from integrations.connections where tenant_id = %s",
                             (tenant,)).fetchone()["n"]
    assert count == 1


def test_profile_is_refused_for_a_tenant_owned_provider(ssb, database_url):
    tenant = str(uuid.uuid4())
    proc = start_connect("sync_channels_live", tenant=tenant, extra=("--profile", str(uuid.uuid4())))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "--profile is refused" in err
    with connect(database_url) as conn:
        assert conn.execute("select count(*) as n from integrations.connections where tenant_id = %s",
                            (tenant,)).fetchone()["n"] == 0


def test_an_install_into_another_workspace_than_asked_stores_nothing(ssb, database_url):
    tenant, asked, chosen = str(uuid.uuid4()), new_team(), new_team()
    proc = start_connect("sync_channels_live", tenant=tenant, extra=("--account", asked))
    consent(proc, chosen)  # the installer picked another workspace on the consent page
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and chosen in err and asked in err
    with connect(database_url) as conn:
        assert conn.execute("select count(*) as n from integrations.connections where tenant_id = %s",
                            (tenant,)).fetchone()["n"] == 0
    assert ssb.count_requests(path="auth.revoke") == 1  # the stray install was removed again


def test_an_install_into_a_workspace_another_tenant_holds_never_revokes_its_token(ssb, database_url, workspace):
    """A reinstall answers the bot token the workspace already has: "removing the stray install
    again" with auth.revoke would end the other tenant's working connection."""
    held = workspace({"sync_channels_live": None})
    ana = held.user("ana")
    general = held.channel("general")
    held.say(general, "before", ana)
    ssb.set_reinstall_keeps_bot_token(True)
    tenant = str(uuid.uuid4())
    proc = start_connect("sync_channels_live", tenant=tenant, extra=("--account", new_team()))
    consent(proc, held.team)  # picked the workspace the first tenant connected
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and held.team in err
    held.say(general, "after", ana)
    asyncio.run(held.run_live())  # the first tenant keeps syncing
    assert held.row()["status"] == "active"
    assert {m["text"] for m in held.live().values()} >= {"before", "after"}
    assert ssb.count_requests(path="auth.revoke") == 0
