"""`integrations demo`: the main job end to end on the embedded database and the sandbox."""

from __future__ import annotations

import uuid

import click

from worker.cli.common import database_url, settings

DEMO_TENANT = uuid.UUID("00000000-0000-4000-8000-00000000d3e0")
DEMO_PROFILE = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
DEMO_ACCOUNT = "ana@demo.example"


def step(text: str) -> None:
    click.secho(f"==> {text}", bold=True)


@click.command("demo")
@click.option("--stop", is_flag=True, help="Stop the embedded database the demo left running.")
def demo(stop: bool) -> None:
    """Run the demo: migrate, create a demo tenant with a Google connection, ...

    \b
    Example:
      integrations demo          # then explore: integrations connections list
      integrations demo --stop
    """
    from worker.connections import capability_states, create_connection, list_connections
    from worker.db.connect import connect, session
    from worker.db.embedded import stop_embedded
    from worker.db.migrate import migrate
    from worker.registry import get_provider

    if stop:
        click.echo("stopped embedded PostgreSQL" if stop_embedded(settings().pg_dir) else "nothing to stop")
        return
    step("starting the database")
    url = database_url()
    step("migrating")
    with connect(url) as conn:
        for line in migrate(conn) or ["already up to date"]:
            click.echo(f"    {line}")
    step(f"demo tenant {DEMO_TENANT} with a Google connection for {DEMO_ACCOUNT}")
    google = get_provider("google")
    with session(url) as conn:
        existing = [c for c in list_connections(conn, DEMO_TENANT) if c["account_id"] == DEMO_ACCOUNT]
        row = existing[0] if existing else create_connection(
            conn, tenant_id=DEMO_TENANT, profile_id=DEMO_PROFILE, provider="google", account_id=DEMO_ACCOUNT,
            capabilities={name: None for name in google.capabilities})
        for state in capability_states(conn, row["id"]):
            click.echo(f"    {state['capability']}: {state['status']}")
    click.echo(f"connection {row['id']} ready; explore with `integrations connections show {row['id']}`")
