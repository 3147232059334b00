"""Gmail's two quota tables: the worker charges and paces by the table in force, new installs
default to the 2026 one, and the sandbox meters the same table it announces."""

import pytest

from worker.providers.google.client.quota_tables import LEGACY, MAY_2026, gmail_units_per_minute, table_in_force
from worker.settings import Settings, get_settings


def test_new_installs_default_to_the_2026_table(monkeypatch):
    for name in ("INTEGRATIONS_GMAIL_QUOTA_TABLE", "INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert table_in_force(settings) is MAY_2026
    assert gmail_units_per_minute(settings) == 6000
    assert table_in_force(settings).units["messages.get"] == 20
    assert table_in_force(settings).units["attachments.get"] == 20


def test_legacy_table_and_an_explicit_limit(monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_GMAIL_QUOTA_TABLE", "legacy")
    monkeypatch.delenv("INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE", raising=False)
    assert gmail_units_per_minute(Settings(_env_file=None)) == 15000
    assert table_in_force(Settings(_env_file=None)).units["messages.get"] == LEGACY.units["messages.get"] == 5
    monkeypatch.setenv("INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE", "1200")
    assert gmail_units_per_minute(Settings(_env_file=None)) == 1200


def test_unknown_table_is_refused_naming_the_variable(monkeypatch):
    from worker.errors import BadInput
    from worker.settings import load_settings

    monkeypatch.setenv("INTEGRATIONS_GMAIL_QUOTA_TABLE", "2025")
    with pytest.raises(BadInput, match="INTEGRATIONS_GMAIL_QUOTA_TABLE"):
        load_settings()


@pytest.mark.asyncio
@pytest.mark.parametrize("table, per_get", [("2026", 20), ("legacy", 5)])
async def test_sync_charges_the_tables_units_per_message(mailbox, gsb, monkeypatch, table, per_get):
    gsb.set_quota(gmail_table=table)
    monkeypatch.setenv("INTEGRATIONS_GMAIL_QUOTA_TABLE", table)
    get_settings.cache_clear()
    box = mailbox()
    ids = [box.add(f"message {i}") for i in range(4)]
    await box.run_live()
    gets = gsb.requests(method_id="gmail.users.messages.get", user=box.email)
    assert sorted(e["units"] for e in gets) == [per_get] * len(ids)
    assert set(box.heads()) == set(ids)
