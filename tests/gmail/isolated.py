"""A connected mailbox in a database of its own, for tests whose subject reads the whole database:
a worker subprocess (it takes every job it finds), periodic tasks that scan every connection, or
reconcile, whose normalized counts depend on whether anyone ran dbt on the database. On the shared
session database such tests depend on which tests ran before them.

Import the fixture into the test module: `from tests.gmail.isolated import own_mailbox`.
"""

from __future__ import annotations

import pytest

from tests.gmail.conftest import Mailbox
from worker.providers.google.capabilities import GMAIL_COMPOSE, GMAIL_READONLY, GMAIL_SEND
from worker.settings import get_settings


@pytest.fixture
def own_mailbox(gsb, make_database, monkeypatch):
    """`own_mailbox(email=..., capabilities=..., scopes=...)`: a Mailbox whose database holds
    nothing else; INTEGRATIONS_DATABASE_URL points there too (the CLI and subprocesses use it)."""
    url = make_database.create(prefix="ownbox")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    get_settings.cache_clear()

    def make(email="ana@tenant.example", capabilities=None, scopes=None) -> Mailbox:
        capabilities = capabilities or {"sync_inbox_live": None, "sync_inbox_once": None,
                                        "send_email": {"drafts": True}}
        return Mailbox(gsb, url, email, capabilities, scopes or [GMAIL_READONLY, GMAIL_SEND, GMAIL_COMPOSE])
    return make
