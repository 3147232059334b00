"""Calendar tests: the real sandbox over HTTP, a real database, connections with real OAuth tokens."""

from __future__ import annotations

import pytest

from tests.fixtures.accounts import connect_account
from tests.gmail.conftest import google_sandbox, gsb  # noqa: F401  (shared session sandbox)
from worker.app import open_app_async
from worker.db.connect import connect
from worker.providers.google.capabilities import CALENDAR_EVENTS, CALENDAR_READONLY
from worker.settings import get_settings


def timed(summary: str, start: str, end: str, **extra) -> dict:
    return {"summary": summary, "start": {"dateTime": start, "timeZone": "UTC"},
            "end": {"dateTime": end, "timeZone": "UTC"}, **extra}


class CalendarAccount:
    """One connected Google Calendar account and helpers to run its jobs and read what was staged."""

    def __init__(self, sandbox, url: str, email: str, capabilities: dict, scopes: list[str]):
        self.sandbox, self.url, self.email, self.scopes = sandbox, url, email, scopes
        self.id, self.tenant_id = connect_account(sandbox, url, email, capabilities, scopes)

    def add(self, summary: str, day: int = 1, hour: int = 9, calendar_id: str = "primary", **extra) -> str:
        event = timed(summary, f"2030-01-{day:02d}T{hour:02d}:00:00Z", f"2030-01-{day:02d}T{hour + 1:02d}:00:00Z",
                      **extra)
        return self.sandbox.import_event(self.email, event, calendar_id)["id"]

    def state(self, stream: str | None = None, capability: str = "sync_calendar_live") -> dict | None:
        with connect(self.url) as conn:
            return conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s"
                                " and stream = %s", (self.id, capability, self.email if stream is None else stream)
                                ).fetchone()

    def states(self, capability: str = "sync_calendar_live") -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s",
                                (self.id, capability)).fetchall()
        return {r["stream"]: r for r in rows}

    def records(self, capability: str | None = None) -> list[dict]:
        with connect(self.url) as conn:
            return conn.execute("select * from integrations.raw_records where connection_id = %s"
                                " and resource_type = 'calendar.event' and (%s::text is null or capability = %s)"
                                " order by id", (self.id, capability, capability)).fetchall()

    def heads(self) -> dict[str, dict]:
        """Newest version of each event: external id -> raw record."""
        return {r["external_id"]: r for r in self.records()}

    def key(self, event_id: str, calendar_id: str | None = None) -> str:
        return f"{calendar_id or self.email}/{event_id}"

    async def run(self, task: str = "sync_calendar_live") -> None:
        from worker.tasks.dispatch import defer_live

        async with open_app_async(self.url) as app:
            await defer_live(self.id, task)
            await app.run_worker_async(concurrency=2, wait=False, queues=["default"])

    async def drain(self) -> None:
        async with open_app_async(self.url) as app:
            await app.run_worker_async(concurrency=2, wait=False, queues=["default"])


@pytest.fixture
def small_pages(monkeypatch):
    from worker.providers.google.calendar import live

    monkeypatch.setattr(live, "PAGE_SIZE", 2)


def _account_factory(sandbox, url: str):
    def make(email="cal@tenant.example", capabilities=None, scopes=None, two_way=False) -> CalendarAccount:
        settings = {"calendars": ["primary"], "two_way": two_way}
        capabilities = capabilities or {"sync_calendar_live": settings, "sync_calendar_once": None}
        scopes = scopes or ([CALENDAR_READONLY, CALENDAR_EVENTS] if two_way else [CALENDAR_READONLY])
        return CalendarAccount(sandbox, url, email, capabilities, scopes)
    return make


@pytest.fixture
def calendar_account(gsb, database_url, monkeypatch):
    """Accounts on the shared session database. Staged pages do not queue normalize jobs here
    (dbt is tested elsewhere; these tests look at raw records): `own_calendar_account` does."""
    monkeypatch.setenv("INTEGRATIONS_CALENDAR_QUOTA_UNITS_PER_MINUTE", "0")

    from worker.sync import stager
    monkeypatch.setattr(stager, "_after_staged", [])
    get_settings.cache_clear()
    return _account_factory(gsb, database_url)


@pytest.fixture
def own_calendar_account(gsb, make_database, monkeypatch):
    """Accounts in a database of their own, nothing stubbed: staged pages queue real normalize
    jobs, a worker subprocess may run there (it takes every job it finds), dbt may build there."""
    url = make_database.create(prefix="calown")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    monkeypatch.setenv("INTEGRATIONS_CALENDAR_QUOTA_UNITS_PER_MINUTE", "0")
    get_settings.cache_clear()
    return _account_factory(gsb, url)
