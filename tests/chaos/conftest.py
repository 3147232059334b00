"""Chaos test fixtures: seeds from the environment, a private database and a private sandbox.

- ``CHAOS_SEED=7``     run exactly that seed (replay a failure)
- ``CHAOS_SEEDS=10``   run seeds 1..10 (``make chaos SEEDS=10``)
- neither              run the one fixed seed of ``make test``
"""

from __future__ import annotations

import os

import pytest

DEFAULT_SEED = 1


def chaos_seeds() -> list[int]:
    if os.environ.get("CHAOS_SEED"):
        return [int(s) for s in os.environ["CHAOS_SEED"].split(",") if s.strip()]
    if os.environ.get("CHAOS_SEEDS"):
        return list(range(1, int(os.environ["CHAOS_SEEDS"]) + 1))
    return [DEFAULT_SEED]


def pytest_generate_tests(metafunc):
    if "chaos_seed" in metafunc.fixturenames:
        metafunc.parametrize("chaos_seed", chaos_seeds(), ids=lambda s: f"seed{s}")


@pytest.fixture
def chaos_env(make_database, monkeypatch, tmp_path):
    """A migrated database of its own (dbt runs over the whole database) and the settings every
    process of the test reads: the test itself and the worker subprocesses."""
    from worker.settings import get_settings

    url = make_database.create(prefix="chaos")
    env = {
        "INTEGRATIONS_DATABASE_URL": url,
        "INTEGRATIONS_DATA_DIR": str(tmp_path / "data"),
        "INTEGRATIONS_ENCRYPTION_KEYS": "k1:" + "A" * 43 + "=",
        # a "slow response" fault sleeps longer than this, so the client times out while the
        # sandbox still carries the request out afterwards -- the hard case for exactly-once
        "INTEGRATIONS_HTTP_TIMEOUT_SECONDS": "2",
        "INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE": "15000",
        "INTEGRATIONS_CALENDAR_QUOTA_UNITS_PER_MINUTE": "0",
        "INTEGRATIONS_STALLED_JOB_SECONDS": "15",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
