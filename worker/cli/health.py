"""`integrations reconcile` and `integrations status`: is everything there, and is it healthy?"""

from __future__ import annotations

import asyncio

import click

from worker.cli.common import database_url, echo_json, json_option


@click.command("reconcile")
@click.option("--connection", "connection_id", required=True)
@click.option("--capability", default=None, help="One live capability (default: every enabled one).")
@click.option("--repair", is_flag=True, help="Stage what is missing (and what vanished) at the provider.")
@json_option
def reconcile(connection_id, capability, repair, as_json) -> None:
    """Compare the provider's ids with what is staged and normalized; exit 1 on differences.

    \b
    Example:
      integrations reconcile --connection 3d6f... --capability sync_inbox_live --repair
    """
    from worker.api import reconcile as run

    results = asyncio.run(run(database_url(), connection_id, capability, repair))
    if as_json:
        echo_json(results)
    else:
        for r in results:
            normalized = "-" if r["normalized"] is None else r["normalized"]
            click.echo(f"{r['capability']}: provider {r['provider']}, staged {r['staged']}, normalized {normalized}"
                       f"; missing {r['missing_count']}, extra {r['extra_count']}, not normalized "
                       f"{r['not_normalized_count']}, normalized extra {r['normalized_extra_count']}"
                       + (f"; repaired {r['repaired']}" if repair else ""))
            for key in ("missing", "extra", "not_normalized", "normalized_extra"):
                if r[key]:
                    click.echo(f"  {key}: {' '.join(r[key])}{' ...' if r[key + '_count'] > len(r[key]) else ''}")
        if results and not any(r["differences"] for r in results):
            click.echo("no differences")
    if any(r["differences"] for r in results):
        raise SystemExit(1)


@click.command("status")
@click.option("--connection", "connection_id", default=None, help="Only this connection.")
@json_option
def status(connection_id, as_json) -> None:
    """Sync health per connection and capability, with what to do about each problem.

    \b
    Example:
      integrations status
      integrations status --connection 3d6f... --json
    """
    from worker.connections import get_connection
    from worker.db.connect import session
    from worker.observe.health import workers
    from worker.status import age, collect_status, failing_normalize_tests, since

    with session(database_url()) as conn:
        if connection_id is not None:  # a malformed or unknown id is the operator's to fix (exit 2)
            connection_id = get_connection(conn, connection_id)["id"]
        report = collect_status(conn, connection_id)
        failing_tests = failing_normalize_tests(conn)
        beating = workers(conn)
    if as_json:
        echo_json(report)
        return
    alive = [w for w in beating if w["alive"]]
    if alive:
        click.echo(f"workers: {len(alive)} alive, last heartbeat {age(alive[0]['age'])} ago")
    else:
        last = f" (last heartbeat {age(beating[0]['age'])} ago)" if beating else ""
        click.secho(f"NO WORKER ALIVE{last}: nothing syncs or normalizes; start `integrations worker`",
                    fg="red", bold=True)
    if failing_tests:
        click.secho(f"normalization: {len(failing_tests)} data test(s) did not pass on the last run", bold=True)
        for test in failing_tests:
            rows = f", {test['failures']} failing rows" if test["failures"] is not None else ""
            click.echo(f"  {test['test_name']} ({test['status']}{rows}) on {test['model'] or '?'}")
        click.echo("      next: inspect with `select * from integrations_staging.normalize_test_results"
                   " where status <> 'pass'`; other rows are normalized meanwhile")
    if not report:
        click.echo("no connections with enabled capabilities yet")
    for entry in report:
        click.secho(f"{entry['provider']} {entry['account_id']}  ({entry['connection_id']})  {entry['status']}",
                    bold=True)
        if entry["jobs"]:
            click.echo("  jobs: " + ", ".join(f"{k} {v}" for k, v in sorted(entry["jobs"].items())))
        for state, action in sorted(entry.get("outbound", {}).items()):
            click.echo(f"  actions {state}: {action['actions']}"
                       + (f" (latest reason: {action['reason'][:200]})" if action["reason"] else ""))
        for cap in entry["capabilities"]:
            name = cap["capability"] + (f" [{cap['stream']}]" if cap["stream"] else "")
            state = cap["status"] + (" OVERDUE" if cap.get("overdue") else "")
            line = (f"  {name:<44} {state:<17} last ok {since(cap['last_success_at']):<10}"
                    f" lag {age(cap['lag_seconds']):<5} failures {cap['consecutive_failures']}")
            if cap.get("staged_records") and not cap["stream"]:
                line += f"  staged {cap['staged_records']}"
            if cap.get("normalized_records") is not None:
                line += f"  normalized {cap['normalized_records']}  quarantined {cap['quarantined_records']}"
            if cap["item_failures"]:
                line += f"  item failures {cap['item_failures']}"
            if cap.get("last_push_at"):
                line += f"  last push {since(cap['last_push_at'])} ({cap['push']})"
            if cap.get("watch_expires_at"):
                line += f"  watch expires {str(cap['watch_expires_at'])[:16]}"
            click.echo(line)
            if cap["reconcile"]:
                rec = cap["reconcile"]
                click.echo(f"      reconcile {rec['checked_at'][:19]}: {rec['differences']} differences"
                           f" (provider {rec['provider']}, staged {rec['staged']})")
            if cap["last_error"] and cap["status"] != "ok":
                click.echo(f"      last error: {cap['last_error'][:200]}")
            if cap["remedy"]:
                click.echo(f"      next: {cap['remedy']}")
