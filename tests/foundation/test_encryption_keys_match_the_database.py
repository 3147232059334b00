"""A process started without the keys the database's credentials were encrypted with refuses to run.

A worker started in another directory (or with another INTEGRATIONS_DATA_DIR) used to create a
new key file silently, fail every job on decryption and encrypt refreshed tokens with a key no
other process has. It now stops at start, names the missing key ids and what to set, and creates
no key file.
"""

from __future__ import annotations

import uuid

from click.testing import CliRunner

from worker.cli import cli
from worker.connections import create_connection, store_credentials
from worker.crypto import keyring_from_settings, new_key_spec
from worker.db.connect import connect
from worker.settings import get_settings


def worker_burst(**env) -> tuple[int, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["worker", "--burst", "--queue", "nothing-here"], env=env)
    get_settings.cache_clear()
    return result.exit_code, result.output


def a_connection_with_credentials(url: str) -> None:
    with connect(url) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=uuid.uuid4(), provider="google",
                                account_id="keys@tenant.example", capabilities={"sync_inbox_live": None})
        store_credentials(conn, keyring_from_settings(get_settings()), row["id"], {"refresh_token": "r"}, [])
        conn.commit()


def test_a_worker_without_the_databases_key_refuses_to_start_and_creates_no_key_file(
        settings_env, make_database, monkeypatch, tmp_path):
    url = make_database.create()
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    a_connection_with_credentials(url)  # encrypted with key k1 (settings_env)

    other_dir = tmp_path / "elsewhere" / ".integrations"
    monkeypatch.delenv("INTEGRATIONS_ENCRYPTION_KEYS")
    code, output = worker_burst(INTEGRATIONS_DATA_DIR=str(other_dir))
    assert code == 2, output
    assert "key k1" in output and "INTEGRATIONS_ENCRYPTION_KEYS" in output and "INTEGRATIONS_DATA_DIR" in output
    assert not (other_dir / "keys").exists()

    code, output = worker_burst(INTEGRATIONS_ENCRYPTION_KEYS=new_key_spec("k9"))
    assert code == 2, output
    assert "key k1" in output and "INTEGRATIONS_ENCRYPTION_KEYS" in output

    code, output = worker_burst(INTEGRATIONS_ENCRYPTION_KEYS=new_key_spec("k9") + ",k1:" + "A" * 43 + "=")
    assert code == 0, output  # an older key kept for decryption is enough


def test_a_worker_on_a_database_without_credentials_starts_with_a_new_key_file(
        settings_env, make_database, monkeypatch, tmp_path):
    url = make_database.create()
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    monkeypatch.delenv("INTEGRATIONS_ENCRYPTION_KEYS")
    data_dir = tmp_path / "fresh" / ".integrations"
    code, output = worker_burst(INTEGRATIONS_DATA_DIR=str(data_dir))
    assert code == 0, output
    assert (data_dir / "keys").exists()


def test_connect_and_keys_rotate_without_the_databases_key_refuse_before_writing_anything(
        settings_env, make_database, monkeypatch, tmp_path):
    url = make_database.create()
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    a_connection_with_credentials(url)
    monkeypatch.delenv("INTEGRATIONS_ENCRYPTION_KEYS")
    other_dir = tmp_path / "elsewhere" / ".integrations"
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(other_dir))
    get_settings.cache_clear()
    for args in (["connect", "google", "--tenant", str(uuid.uuid4()), "--profile", str(uuid.uuid4()),
                  "--account", "new@tenant.example", "--capability", "sync_inbox_live", "--no-browser"],
                 ["keys", "rotate"]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, (args, result.output)
        assert "key k1" in result.output and "refusing to create a new key" in result.output
        assert not (other_dir / "keys").exists()
    with connect(url) as conn:
        assert conn.execute("select count(*) as n from integrations.connections").fetchone()["n"] == 1
    get_settings.cache_clear()
