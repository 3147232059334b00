"""The state-like metric families, computed from the database when Prometheus scrapes.

Lag, queues, failures and workers live in the database, not in one process: computing them at
scrape time (a few aggregate queries, worker/store/metrics.sql) lets any process report them --
`serve`'s `/metrics` as well as a worker's metrics port -- and they are never stale. A scrape
that cannot reach the database answers `integrations_database_up 0` and the in-process families.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from psycopg.rows import dict_row

from worker.observe.labels import safe
from worker.registry import capabilities_of_kind, capability_key
from worker.settings import get_settings
from worker.store import query

log = logging.getLogger(__name__)


def _gauge(name: str, documentation: str, labels: list[str], rows, value: str, keys: list[str] | None = None):
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for row in rows:
        family.add_metric([safe(row[k]) for k in (keys or labels)], float(row[value] or 0))
    return family


class DatabaseCollector:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def collect(self):
        up = GaugeMetricFamily("integrations_database_up", "1 when this scrape could read the database")
        try:
            families = self._families()
        except (psycopg.Error, OSError) as error:
            log.warning("metrics: the database did not answer (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> list:
        settings = get_settings()
        live = sorted(capability_key(p.name, c.name) for p, c in capabilities_of_kind("live"))
        with psycopg.connect(self.database_url, row_factory=dict_row, connect_timeout=5,
                             autocommit=True) as conn:
            run = lambda name, params=None: conn.execute(query(f"metrics.{name}"), params or {}).fetchall()
            sync = run("live_sync", {"capabilities": live, "interval_seconds": settings.sync_interval_seconds,
                                     "push_poll_seconds": settings.push_poll_interval_seconds,
                                     "factor": settings.overdue_factor})
            pc = ["provider", "capability"]
            families = [
                _gauge("integrations_sync_last_success_age_seconds", "Age of the oldest last success among the enabled"
                       " live capabilities of active connections (since its creation when one never succeeded)",
                       pc, sync, "last_success_age"),
                _gauge("integrations_sync_oldest_due_seconds", "How long the longest-waiting due capability has"
                       " been due", pc, sync, "oldest_due_age"),
                _gauge("integrations_sync_overdue", "Capabilities whose last success is older than"
                       " INTEGRATIONS_OVERDUE_FACTOR intervals", pc, sync, "overdue"),
                _gauge("integrations_sync_live_capabilities", "Enabled live capabilities expected to run", pc, sync,
                       "capabilities"),
                _gauge("integrations_sync_capabilities", "Capability rows by recorded status",
                       ["provider", "capability", "status"], run("capability_states"), "n"),
                _gauge("integrations_connections", "Connections by status (needs_reauth: an operator must act)",
                       ["provider", "status"], run("connection_states"), "n"),
                _gauge("integrations_item_failures_open", "Items that failed and are not resolved", pc,
                       run("item_failures"), "n"),
                _gauge("integrations_jobs", "procrastinate jobs by queue, task and status",
                       ["queue", "task", "status"], run("jobs"), "n", ["queue_name", "task_name", "status"]),
                _gauge("integrations_outbound_actions", "Outbound actions (sends, posts, meeting writes) by state",
                       ["provider", "action", "state"], run("outbound"), "n", ["provider", "action", "status"]),
            ]
            try:
                quarantined = run("quarantined")
            except psycopg.errors.UndefinedTable:  # normalization has not built it yet
                quarantined = []
            families.append(_gauge("integrations_quarantined_rows", "Rows normalization quarantined",
                                   ["resource_type"], quarantined, "n"))
            beating = run("workers", {"stalled_seconds": settings.stalled_job_seconds})
        alive = GaugeMetricFamily("integrations_workers_alive", "Workers whose heartbeat is recent (0: nothing runs)")
        alive.add_metric([], sum(1 for w in beating if w["alive"]))
        newest = GaugeMetricFamily("integrations_worker_heartbeat_age_seconds",
                                   "Age of the newest worker heartbeat (-1: no worker ever registered)")
        newest.add_metric([], beating[0]["age"] if beating else -1)
        interval = GaugeMetricFamily("integrations_sync_interval_seconds", "INTEGRATIONS_SYNC_INTERVAL_SECONDS")
        interval.add_metric([], settings.sync_interval_seconds)
        return [*families, alive, newest, interval]


_registered: set[str] = set()
_lock = threading.Lock()


def register_database_collector(database_url: str) -> None:
    """Add the database's families to this process's registry (once per database)."""
    with _lock:
        if database_url not in _registered:
            REGISTRY.register(DatabaseCollector(database_url))
            _registered.add(database_url)
