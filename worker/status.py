"""Sync health per connection and capability, with what to do about each problem.

Gathers sync_state, staging volume and lag, queued/running jobs, open item failures, the last
reconcile, and — when normalization has run — normalized and quarantined counts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

import psycopg

from worker.observe.health import interval_of, is_overdue
from worker.registry import get_provider
from worker.settings import get_settings
from worker.store import query


def remedy(row: dict) -> str | None:
    """The next step for an operator, or None when nothing is wrong."""
    profile = f" --profile {row['profile_id']}" if row["profile_id"] else ""  # tenant-owned providers have none
    connect = (f"integrations connect {row['provider']} --tenant {row['tenant_id']}{profile}"
               f" --account {row['account_id']} --capability {row['capability']}")
    if _credential_kind(row["provider"]) == "api_key":  # the secret on standard input, never in argv
        connect = f"printf '%s\\n' \"$API_KEY_SECRET\" | {connect} --api-key <API key SID>"
        if row["connection_status"] == "needs_reauth" or row["status"] == "needs_reauth":
            return f"reconnect with a valid API key (the key was revoked or its secret changed) — {connect}"
    if row["connection_status"] == "needs_reauth" or row["status"] == "needs_reauth":
        return f"{_reauth_reason(row)} — {connect}"
    if row["status"] == "awaiting_consent":
        return f"grant consent for this capability's scopes — {connect}"
    if row["status"] == "disabled":
        return None
    if row["status"] == "failing" and (row["stream"] or "").startswith("run:"):
        return (f"this manual run is not retried: fix the cause, then run `integrations sync once --connection"
                f" {row['connection_id']} --capability {row['capability']} ...` again")
    if row["status"] == "failing":
        when = row["next_run_at"].isoformat(timespec="seconds") if row["next_run_at"] else "the next interval"
        return f"retrying automatically at {when} (backing off after {row['consecutive_failures']} failures)"
    return None


def push_health(last_push_at: datetime | None) -> str | None:
    """`receiving` while pushes arrive (polling is then only the safety net, every
    INTEGRATIONS_PUSH_POLL_INTERVAL_SECONDS); `stopped` when none came within that interval (polled
    at the normal interval again: check the provider's webhook settings); None: push never used."""
    if last_push_at is None:
        return None
    silent = (datetime.now(timezone.utc) - last_push_at).total_seconds()
    return "receiving" if silent <= get_settings().push_poll_interval_seconds else "stopped"


def _reauth_reason(row: dict) -> str:
    """Why the connection needs a person, in its provider's words (Slack: a reinstall, and why a
    refused refresh token is for good)."""
    try:
        explain = get_provider(row["provider"]).reauth_remedy
    except Exception:  # a provider no longer registered
        explain = None
    if explain is not None:
        return explain(row.get("status_reason"))
    return "reconnect: the refresh token was revoked or expired"


def _credential_kind(provider: str) -> str | None:
    try:
        return get_provider(provider).credential_kind
    except Exception:  # a provider no longer registered
        return None


NOT_EXPECTED_TO_RUN = frozenset({"awaiting_consent", "needs_reauth", "disabled"})


def overdue(row: dict, push: str | None) -> bool:
    """A live capability expected to run (enabled, active connection, main row) whose last success
    is older than INTEGRATIONS_OVERDUE_FACTOR intervals (worker/observe/health.py)."""
    spec = _capability(row["provider"], row["capability"])
    if spec is None or spec.kind != "live" or row["stream"] or row["capability"] not in row["enabled"]:
        return False
    if row["connection_status"] != "active" or row["status"] in NOT_EXPECTED_TO_RUN:
        return False
    return is_overdue(row["last_success_at"], row["connection_created_at"], interval_of(push))


def _silent(row: dict) -> float:
    return (datetime.now(timezone.utc) - (row["last_success_at"] or row["connection_created_at"])).total_seconds()


def _exists(conn, relation: str) -> bool:
    return conn.execute(query("reconcile.relation_exists"), {"relation": relation}).fetchone()["present"]


def _capability(provider: str, name: str):
    try:
        return get_provider(provider).capabilities.get(name)
    except Exception:  # a provider no longer registered still shows its rows, without counts
        return None


def _count(conn, named_query: str, connection_id) -> int | None:
    """The capability's normalized count; None while normalization has not built its relation."""
    try:
        with conn.transaction():
            return conn.execute(query(named_query), {"connection_id": connection_id}).fetchone()["n"]
    except psycopg.errors.UndefinedTable:
        return None


def collect_status(conn, connection_id=None) -> list[dict]:
    params = {"connection_id": connection_id}
    rows = conn.execute(query("status.capabilities"), params).fetchall()
    jobs = defaultdict(lambda: defaultdict(int))
    for job in conn.execute(query("status.jobs"), {"connection_id": str(connection_id) if connection_id else None}):
        jobs[job["connection_id"]][f"{job['task_name']}:{job['status']}"] += job["jobs"]
    failures = {(f["connection_id"], f["capability"]): f for f in conn.execute(query("status.item_failures"), params)}
    actions = defaultdict(dict)  # outbound actions not done: waiting for a reconnect, in flight, failed
    for action in conn.execute(query("outbound.open_by_connection"), params):
        actions[action["connection_id"]][action["status"]] = {"actions": action["actions"], "reason": action["reason"]}
    has_quarantine = _exists(conn, "integrations_staging.normalize_quarantine")

    connections: dict = {}
    for row in rows:
        entry = connections.setdefault(row["connection_id"], {
            "connection_id": str(row["connection_id"]), "tenant_id": str(row["tenant_id"]),
            "provider": row["provider"], "account_id": row["account_id"], "status": row["connection_status"],
            "status_reason": row["status_reason"], "jobs": dict(jobs.get(str(row["connection_id"]), {})),
            "outbound": actions.get(row["connection_id"], {}), "capabilities": []})
        capability = {
            "capability": row["capability"], "stream": row["stream"] or None,
            "enabled": row["capability"] in row["enabled"], "status": row["status"],
            "last_success_at": row["last_success_at"], "lag_seconds": row["lag"].total_seconds() if row["lag"] else None,
            "cursor": row["cursor"], "consecutive_failures": row["consecutive_failures"],
            "last_error": row["last_error"], "next_run_at": row["next_run_at"], "full_syncs": row["full_syncs"],
            "last_full_sync_reason": row["last_full_sync_reason"], "staged_records": row["staged_records"],
            "reconcile": row["reconcile"], "remedy": remedy(row),
            # provider push (`integrations serve`): the last notification received, and how many
            "last_push_at": row["last_push_at"], "push_notifications": row["push_notifications"] or 0,
            "push": push_health(row["last_push_at"]),
            # the provider's watch behind the pushes (Gmail, Calendar): renewed before this, by a periodic task
            "watch_expires_at": row["watch_expires_at"],
        }
        capability["overdue"] = overdue(row, capability["push"])
        if capability["overdue"] and not capability["remedy"]:
            capability["remedy"] = (f"overdue: no successful run for {age(_silent(row))} (runs every"
                                    f" {age(interval_of(capability['push']))}): is a worker running? `integrations worker`")
        failure = failures.get((row["connection_id"], row["capability"])) if not row["stream"] else None
        capability["item_failures"] = failure["open_failures"] if failure else 0
        spec = _capability(row["provider"], row["capability"])
        if not row["stream"] and spec is not None and spec.normalized_count:
            capability["normalized_records"] = _count(conn, spec.normalized_count, row["connection_id"])
            capability["quarantined_records"] = (conn.execute(query("status.quarantined"), {
                "connection_id": row["connection_id"], "resource_type": spec.resource_types[0]}).fetchone()["n"]
                if has_quarantine else None)
        entry["capabilities"].append(capability)
    return list(connections.values())


def failing_normalize_tests(conn) -> list[dict]:
    """Data tests whose last run did not pass. They only warn (so they block no tenant's models);
    this is where an operator sees them."""
    if not _exists(conn, "integrations_staging.normalize_test_results"):
        return []
    return conn.execute(query("status.failing_normalize_tests")).fetchall()


def age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def since(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    return age((datetime.now(timezone.utc) - moment).total_seconds()) + " ago"
