"""The CLI as operators meet it: exit codes 0/1/2, clear messages, no secrets, examples in --help."""

import json
import logging
import uuid

import click
from click.testing import CliRunner

from worker.cli import cli
from worker.connections import get_connection, store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings

SECRET = "ya29.SECRET-TOKEN-do-not-print-123"


def run(*args, env=None):
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    get_settings.cache_clear()
    return result


def test_every_command_help_shows_an_example():
    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, path + [name])

    for path, _command in walk(cli, []):
        result = run(*path, "--help")
        assert result.exit_code == 0, path
        assert "Example" in result.output, f"`integrations {' '.join(path)} --help` shows no example"


def test_db_url_masks_the_password_unless_asked(monkeypatch):
    url = "postgresql://app:hunter2@127.0.0.1:6543/crm"
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    masked = run("db", "url")
    assert masked.exit_code == 0 and "hunter2" not in masked.output and "app:***@127.0.0.1:6543" in masked.output
    assert run("db", "url", "--show-password").output.strip() == url


def test_database_that_does_not_answer_names_host_and_port_not_password(monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:1/crm")
    result = run("connections", "list")
    assert result.exit_code == 2
    assert "127.0.0.1:1" in result.output and "hunter2" not in result.output


def test_invalid_setting_fails_naming_the_variable(monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_WORKER_CONCURRENCY", "lots")
    result = run("connections", "list")
    assert result.exit_code == 2
    assert "INTEGRATIONS_WORKER_CONCURRENCY" in result.output


def test_commands_on_an_unmigrated_database_say_migrate(monkeypatch, make_database):
    url = make_database.create(migrated=False)
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    result = run("connections", "list")
    assert result.exit_code == 1 and "integrations db migrate" in result.output
    first = run("db", "migrate")
    assert first.exit_code == 0 and "001_integrations_schema.sql" in first.output
    again = run("db", "migrate")
    assert again.exit_code == 0 and "up to date" in again.output
    assert run("connections", "list").exit_code == 0


def test_bad_input_exits_2_and_writes_nothing(settings_env, db):
    tenant = str(uuid.uuid4())
    cases = [
        ["--provider", "nope", "--profile", str(uuid.uuid4())],
        ["--provider", "google"],  # no profile for a user-owned provider
        ["--provider", "slack", "--profile", str(uuid.uuid4())],
        ["--provider", "google", "--profile", str(uuid.uuid4()), "--capability", "sync_everything"],
        ["--provider", "google", "--profile", str(uuid.uuid4()), "--capability", "sync_inbox_live",
         "--settings", '{"sync_inbox_live": {"labels": []}}'],
        ["--provider", "google", "--profile", "not-a-uuid"],
    ]
    for extra in cases:
        result = run("connections", "create", "--tenant", tenant, "--account", "a@x.test", *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert result.output.startswith("error: ") or "Error" in result.output
    n = db.execute("select count(*) as n from integrations.connections where tenant_id = %s", (tenant,)).fetchone()
    assert n["n"] == 0


def test_create_show_enable_disable_delete(settings_env, db):
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    created = run("connections", "create", "--tenant", tenant, "--profile", profile, "--provider", "google",
                  "--account", "ana@x.test", "--capability", "sync_inbox_live", "--json")
    assert created.exit_code == 0, created.output
    cid = json.loads(created.output)["id"]
    dup = run("connections", "create", "--tenant", tenant, "--profile", profile, "--provider", "google",
              "--account", "ana@x.test")
    assert dup.exit_code == 2 and "already connected" in dup.output
    enabled = run("connections", "enable", cid, "send_email")
    assert enabled.exit_code == 0 and "awaiting consent" in enabled.output and "gmail.send" in enabled.output
    shown = json.loads(run("connections", "show", cid, "--json").output)
    assert shown["capabilities"] == ["sync_inbox_live", "send_email"]
    assert {s["capability"]: s["status"] for s in shown["capability_states"]}["send_email"] == "awaiting_consent"
    assert run("connections", "disable", cid, "send_email").exit_code == 0
    assert run("connections", "show", "00000000-0000-0000-0000-000000000000").exit_code == 2
    assert run("connections", "delete", cid, "--yes").exit_code == 0
    assert run("connections", "show", cid).exit_code == 2


def test_secrets_never_appear_in_output_or_logs(settings_env, db, caplog):
    caplog.set_level(logging.DEBUG)
    tenant = str(uuid.uuid4())
    created = run("connections", "create", "--tenant", tenant, "--profile", str(uuid.uuid4()),
                  "--provider", "google", "--account", "ana@x.test", "--json")
    cid = json.loads(created.output)["id"]
    with connect(get_settings().database_url.get_secret_value()) as conn:
        store_credentials(conn, keyring_from_settings(get_settings()), cid,
                          {"access_token": SECRET, "refresh_token": SECRET}, ["x"])
        conn.commit()
        raw = bytes(get_connection(conn, cid)["credentials"])
    assert SECRET.encode() not in raw
    outputs = [run("connections", "show", cid).output, run("connections", "show", cid, "--json").output,
               run("connections", "list", "--json").output, run("connections", "list").output]
    for text in outputs + [caplog.text]:
        assert SECRET not in text
    assert json.loads(outputs[1])["has_credentials"] is True


def test_keys_rotate_reencrypts_and_a_wrong_key_leaves_data_untouched(settings_env, make_database, monkeypatch):
    from worker.crypto import new_key_spec

    # its own database: a rotation re-encrypts every connection, and later tests keep using key k1
    url = make_database.create()
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    get_settings.cache_clear()
    db = connect(url)
    tenant = str(uuid.uuid4())
    cid = json.loads(run("connections", "create", "--tenant", tenant, "--profile", str(uuid.uuid4()),
                         "--provider", "google", "--account", "k@x.test", "--json").output)["id"]
    old_spec = get_settings().encryption_keys.get_secret_value()
    store_credentials(db, keyring_from_settings(get_settings()), cid, {"refresh_token": "r1"}, [])
    db.commit()
    before = bytes(get_connection(db, cid)["credentials"])

    monkeypatch.setenv("INTEGRATIONS_ENCRYPTION_KEYS", new_key_spec("k1"))  # same id, other material
    wrong = run("keys", "rotate")
    assert wrong.exit_code == 2 and "wrong key material" in wrong.output
    db.rollback()
    assert bytes(get_connection(db, cid)["credentials"]) == before

    monkeypatch.setenv("INTEGRATIONS_ENCRYPTION_KEYS", new_key_spec("k2") + "," + old_spec)
    ok = run("keys", "rotate")
    assert ok.exit_code == 0, ok.output
    db.rollback()
    row = get_connection(db, cid)
    assert row["credentials_key_id"] == "k2"
    get_settings.cache_clear()
    assert keyring_from_settings(get_settings()).decrypt(row["credentials"], cid) == {"refresh_token": "r1"}
    db.close()


def test_status_of_a_malformed_or_unknown_connection_exits_2_with_a_message(settings_env, db):
    malformed = run("status", "--connection", "zzz")
    assert malformed.exit_code == 2
    assert malformed.output == "error: connection id must be a UUID, got 'zzz'\n"
    unknown = str(uuid.uuid4())
    missing = run("status", "--connection", unknown)
    assert missing.exit_code == 2
    assert missing.output == f"error: no connection {unknown}\n"
    assert run("status", "--connection", unknown, "--json").exit_code == 2
    assert run("reconcile", "--connection", "zzz").exit_code == 2


def test_stalled_job_seconds_not_above_the_worker_heartbeat_is_refused(monkeypatch):
    from worker.settings import WORKER_HEARTBEAT_SECONDS

    assert WORKER_HEARTBEAT_SECONDS == 10
    for value in ("5", "10"):
        monkeypatch.setenv("INTEGRATIONS_STALLED_JOB_SECONDS", value)
        result = run("connections", "list")
        assert result.exit_code == 2, result.output
        assert "INTEGRATIONS_STALLED_JOB_SECONDS" in result.output and "10 s heartbeat" in result.output
    monkeypatch.setenv("INTEGRATIONS_STALLED_JOB_SECONDS", "11")
    get_settings.cache_clear()
    assert get_settings().stalled_job_seconds == 11
    get_settings.cache_clear()


def test_sync_once_refuses_an_empty_label(settings_env):
    for labels in ([""], ["INBOX", "  "]):
        args = [arg for label in labels for arg in ("--label", label)]
        result = run("sync", "once", "--connection", str(uuid.uuid4()), "--capability", "sync_inbox_once", *args)
        assert result.exit_code == 2, result.output
        assert "--label" in result.output and "empty" in result.output


def test_connect_reads_ownership_and_capabilities_from_the_registry(settings_env):
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    unknown = run("connect", "nosuch", "--tenant", tenant, "--account", "a", "--capability", "x")
    assert unknown.exit_code == 2 and "unknown provider 'nosuch'" in unknown.output and "google" in unknown.output
    no_profile = run("connect", "google", "--tenant", tenant, "--account", "a@x.example",
                     "--capability", "sync_inbox_live")
    assert no_profile.exit_code == 2 and "--profile is required" in no_profile.output
    tenant_owned = run("connect", "slack", "--tenant", tenant, "--profile", profile, "--account", "T1",
                       "--capability", "x")
    assert tenant_owned.exit_code == 2 and "unknown capability 'x' for provider slack" in tenant_owned.output
    wrong_capability = run("connect", "google", "--tenant", tenant, "--profile", profile, "--account", "a@x.example",
                           "--capability", "post_message")
    assert wrong_capability.exit_code == 2 and "unknown capability 'post_message'" in wrong_capability.output
    no_account = run("connect", "google", "--tenant", tenant, "--profile", profile, "--capability", "sync_inbox_live")
    assert no_account.exit_code == 2 and "--account is required for google" in no_account.output
    api_key = run("connect", "google", "--tenant", tenant, "--profile", profile, "--account", "a@x.example",
                  "--api-key", "SK1", "--capability", "sync_inbox_live")
    assert api_key.exit_code == 2 and "--api-key is refused" in api_key.output


def test_sync_once_param_needs_name_and_value(settings_env):
    result = run("sync", "once", "--connection", str(uuid.uuid4()), "--capability", "sync_inbox_once",
                 "--param", "max")
    assert result.exit_code == 2 and "NAME=VALUE" in result.output
