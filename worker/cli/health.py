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
