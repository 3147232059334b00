"""The `integrations` command: `integrations <noun> <verb>`, `--json` for scripts, exit 0/1/2."""

from __future__ import annotations

import sys

import click

from worker.errors import IntegrationsError


class Main(click.Group):
    """Turns operator-facing errors into one line on stderr and the documented exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except IntegrationsError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(error.exit_code)


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Connect provider accounts, sync them into raw records, normalize into CRM tables.

    \b
    Example:
      integrations db migrate
      integrations connections create --tenant T --profile P --provider google \\
          --account ana@example.com --capability sync_inbox_live
      integrations worker --burst
    """


def _register() -> None:
    from worker.cli import connect, connections, db, demo, health, keys, meetings, run, sync

    cli.add_command(db.db)
    cli.add_command(connections.connections)
    cli.add_command(keys.keys)
    cli.add_command(run.worker)
    cli.add_command(demo.demo)
    cli.add_command(connect.connect)
    cli.add_command(sync.sync)
    cli.add_command(sync.send)
    cli.add_command(meetings.meetings)
    cli.add_command(health.reconcile)
    cli.add_command(health.status)
    for module, names in (
        ("worker.sandbox.cli", ["sandbox"]),
        ("worker.cli.normalize", ["normalize_command", "reprocess_command"]),
    ):
        try:
            imported = __import__(module, fromlist=names)
        except ImportError:
            continue
        for name in names:
            cli.add_command(getattr(imported, name))


_register()


def main() -> None:
    cli(prog_name="integrations")
