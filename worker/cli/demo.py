"""`integrations demo`: the whole lifecycle on the embedded database and an in-process sandbox.

The steps live in `worker.demo`; this module only parses options, prints and sets the exit code.
"""

from __future__ import annotations

import logging
import sys

import click

from worker.cli.common import settings


@click.command("demo")
@click.option("--stop", is_flag=True, help="Stop the embedded database the demo left running.")
@click.option("--messages", type=click.IntRange(20, 20000), default=1500, show_default=True,
              help="Generated messages per user (two users).")
@click.option("--events", type=click.IntRange(8, 2000), default=40, show_default=True,
              help="Generated calendar events per user.")
@click.option("--quota", "quota_units", type=click.IntRange(1000, None), default=30000, show_default=True,
              help="Sandbox Gmail quota, units per user per minute.")
@click.option("--concurrency", type=click.IntRange(1, 50), default=4, show_default=True,
              help="Jobs the demo's worker runs at once.")
@click.option("-v", "--verbose", is_flag=True,
              help="Print every line dbt prints (tests included), and log at INFO (every job) on stderr.")
def demo(stop: bool, messages: int, events: int, quota_units: int, concurrency: int, verbose: bool) -> None:
    """Run the demo: database, sandbox tenant, OAuth, syncs, normalize, lifecycle, reprocess.

    Two Google users of one tenant (ana@acme.example, ben@acme.example) with shared mail and
    meetings, a Microsoft 365 user (cleo@acme.example), a Slack workspace, a Twilio account and a
    QuickBooks company are generated in local sandboxes, connected through each provider's OAuth (or
    API key), synced, normalized and summarized; then mail arrives, meetings change, an email is sent
    and a meeting created, and a full reprocess shows it makes no provider call. Running it again resets
    the demo tenant first. The embedded database keeps running so you can explore afterwards.

    \b
    Example:
      integrations demo                  # then: integrations connections list
      integrations demo --messages 200   # smaller and faster
      integrations demo --stop           # stop the embedded database
    """
    from worker.db.embedded import stop_embedded

    if stop:
        click.echo("stopped embedded PostgreSQL" if stop_embedded(settings().pg_dir) else "nothing to stop")
        return
    from worker.demo import DemoFailed, DemoOptions, run_demo
    from worker.observe.logs import configure_logging
    from worker.optional import load_sandbox

    # as `integrations worker` logs: INTEGRATIONS_LOG_FORMAT=json gives one JSON object a line on stderr
    configure_logging(logging.INFO if verbose else logging.WARNING)

    load_sandbox("sandbox.google", "`integrations demo`")  # before the database starts: exit 1 if missing

    options = DemoOptions(messages=messages, events=events, quota_units=quota_units, concurrency=concurrency,
                          verbose=verbose)
    try:
        run_demo(options, echo=click.echo, step_echo=lambda text: click.secho(text if text.startswith("==>")
                                                                            else f"==> {text}", bold=True))
    except DemoFailed as error:
        click.secho(f"error: the demo failed at {error}", fg="red", err=True)
        sys.exit(1)
