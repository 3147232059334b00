"""`GET /status`: the operators' page — the facts of `integrations status --json` (worker/status.py
`collect_status`, reused, never recomputed) as server-rendered HTML, readable at a glance.

Per tenant, connection and capability: state, lag, last success, last push received, last
reconcile, item failures, last error and its remedy. A capability with a problem (a remedy, or a
failing state) is on a red row with its remedy beside it, and counted in the banner at the top.
No scripts, no build step; the page refreshes itself every 30 s.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import datetime, timezone
from html import escape

from worker.db.connect import session
from worker.observe.health import workers
from worker.status import age, collect_status, failing_normalize_tests, since

PROBLEM_STATES = frozenset({"failing", "needs_reauth", "revoked"})
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1d2330}
h1{font-size:1.4rem;margin:0 0 .5rem} h2{font-size:1.1rem;margin:1.5rem 0 .3rem}
h3{font-size:1rem;margin:1rem 0 .3rem;font-weight:600}
.banner{padding:.6rem .8rem;border-radius:6px;margin:.5rem 0 1rem;font-weight:600}
.banner.ok{background:#e4f5e9;color:#14532d} .banner.problems{background:#fde2e1;color:#7f1d1d}
table{border-collapse:collapse;width:100%;margin-bottom:.5rem}
th,td{border-bottom:1px solid #e3e6ec;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f6f9;font-weight:600;font-size:12px;text-transform:uppercase;color:#4b5565}
tr.problem td{background:#fee4e2} tr.problem td.state{color:#b91c1c;font-weight:700}
td.state{font-weight:600} .remedy{color:#7f1d1d;font-weight:600} .muted{color:#6b7280}
.error{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;max-width:40rem}
"""


def has_problem(capability: dict, connection: dict) -> bool:
    return bool(capability["remedy"]) or capability["status"] in PROBLEM_STATES \
        or connection["status"] in PROBLEM_STATES or bool(capability.get("overdue"))


def _collect(database_url: str) -> tuple[list[dict], list[dict], list[dict]]:
    with session(database_url) as conn:
        return collect_status(conn), failing_normalize_tests(conn), workers(conn)


async def render_status(database_url: str, tenant_id: str | None = None) -> str:
    """The page; with `tenant_id`, that tenant's connections only (`/status?tenant=...`)."""
    report, failing_tests, beating = await asyncio.to_thread(_collect, database_url)
    if tenant_id is not None:
        report = [c for c in report if c["tenant_id"] == tenant_id]
    return render(report, failing_tests, datetime.now(timezone.utc), beating)


def workers_banner(beating: list[dict] | None) -> tuple[str, bool]:
    """The workers' line, and whether none is alive (then it is a red banner: with no worker nothing
    syncs, however green the last recorded states are). None: not known (no banner)."""
    if beating is None:
        return "", False
    alive = [w for w in beating if w["alive"]]
    if alive:
        return (f'<p class="workers muted">{len(alive)} worker(s) alive, last heartbeat'
                f" {escape(age(alive[0]['age']))} ago</p>"), False
    last = f" (last heartbeat {escape(age(beating[0]['age']))} ago)" if beating else ""
    return (f'<div class="banner problems workers">no worker alive{last}: nothing syncs or normalizes'
            " — start <code>integrations worker</code></div>"), True


def _reconcile(rec: dict | None) -> str:
    if not rec:
        return '<span class="muted">never</span>'
    return f"{escape(str(rec.get('checked_at', ''))[:19])}: {escape(str(rec.get('differences', '?')))} differences"


def _push(cap: dict) -> str:
    watch = (f' <span class="muted">watch expires {escape(str(cap["watch_expires_at"])[:16])}</span>'
             if cap.get("watch_expires_at") else "")
    if not cap.get("last_push_at"):
        return '<span class="muted">never</span>' + watch
    stopped = ' <span class="remedy">stopped: polled at the normal interval</span>' if cap["push"] == "stopped" else ""
    return f"{escape(since(cap['last_push_at']))} ({cap['push_notifications']} received){stopped}{watch}"


def _row(cap: dict, connection: dict) -> str:
    problem = has_problem(cap, connection)
    name = cap["capability"] + (f" [{cap['stream']}]" if cap["stream"] else "")
    error = cap["last_error"] if cap["last_error"] and cap["status"] != "ok" else None
    cells = [
        f'<td class="capability">{escape(name)}</td>',
        f'<td class="state">{"⚠ " if problem else ""}{escape(str(cap["status"]))}'
        f'{" (overdue)" if cap.get("overdue") else ""}</td>',
        f"<td>{escape(age(cap['lag_seconds']))}</td>",
        f"<td>{escape(since(cap['last_success_at']))}</td>",
        f"<td>{_push(cap)}</td>",
        f"<td>{_reconcile(cap['reconcile'])}</td>",
        f"<td>{cap['item_failures']}</td>",
        f'<td class="error">{escape(error[:500]) if error else ""}</td>',
        f'<td class="remedy">{escape(cap["remedy"]) if cap["remedy"] else ""}</td>',
    ]
    return f'<tr class="{"problem" if problem else "healthy"}">{"".join(cells)}</tr>'


HEADER = ("<tr><th>capability</th><th>state</th><th>lag</th><th>last success</th><th>last push</th>"
          "<th>last reconcile</th><th>item failures</th><th>last error</th><th>remedy</th></tr>")


def render(report: list[dict], failing_tests: list[dict], now: datetime, beating: list[dict] | None = None) -> str:
    tenants: dict[str, list[dict]] = defaultdict(list)
    for connection in report:
        tenants[connection["tenant_id"]].append(connection)
    # a capability with several streams (a Slack channel, a QuickBooks entity) has a row per stream:
    # the banner counts capabilities, one of which needs attention when any of its streams does
    rows_of: dict[tuple, list[bool]] = defaultdict(list)
    for conn in report:
        for cap in conn["capabilities"]:
            rows_of[(conn["connection_id"], cap["capability"])].append(has_problem(cap, conn))
    problems, total = sum(any(rows) for rows in rows_of.values()), len(rows_of)
    workers_line, no_worker = workers_banner(beating)
    if problems:
        banner = f'<div class="banner problems">{problems} of {total} capabilities need attention</div>'
    elif no_worker:  # never green while nothing runs
        banner = ""
    else:
        banner = f'<div class="banner ok">all {total} capabilities healthy</div>'
    banner = workers_line + banner
    parts = [f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">'
             f"<title>Integrations status{' — ' + str(problems) + ' need attention' if problems else ''}"
             f"{' — no worker alive' if no_worker else ''}</title>"
             f"<style>{STYLE}</style></head><body><h1>Integrations status</h1>"
             f'<p class="muted">as of {now.isoformat(timespec="seconds")}</p>{banner}']
    if failing_tests:
        parts.append(f"<h2>Normalization: {len(failing_tests)} data test(s) did not pass</h2><ul>")
        parts.extend(f"<li>{escape(t['test_name'])} ({escape(str(t['status']))}) on {escape(str(t['model'] or '?'))}"
                     "</li>" for t in failing_tests)
        parts.append("</ul>")
    if not report:
        parts.append("<p>No connections with enabled capabilities yet.</p>")
    for tenant, connections in sorted(tenants.items()):
        parts.append(f'<section class="tenant" id="tenant-{escape(tenant)}"><h2>Tenant {escape(tenant)}</h2>')
        for conn in connections:
            reason = f" — {escape(conn['status_reason'])}" if conn.get("status_reason") else ""
            parts.append(f'<div class="connection" id="connection-{escape(conn["connection_id"])}">'
                         f"<h3>{escape(conn['provider'])} {escape(conn['account_id'])} "
                         f'<span class="muted">({escape(conn["connection_id"])})</span> · '
                         f"{escape(conn['status'])}{reason}</h3><table>{HEADER}")
            parts.extend(_row(cap, conn) for cap in conn["capabilities"])
            parts.append("</table></div>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)
