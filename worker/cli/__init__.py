"""The `integrations` command: `integrations <noun> <verb>`, `--json` for scripts, exit 0/1/2."""

from __future__ import annotations

import sys

import click

from worker.cli.version import version_option
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
@version_option
def cli() -> None:
    """Connect provider accounts, sync them into raw records, normalize into CRM tables.

    \b
    Example:
      integrations db migrate
      integrations connections create --tenant T --profile P --provider google \\
          --account ana@example.com --capability sync_inbox_live
      integrations worker --burst
      integrations --version
    """


def _register() -> None:
    from worker.cli import chat, connect, connections, db, demo, health, keys, meetings, normalize, run, sandbox, serve, sync

    for command in (db.db, connections.connections, connect.connect, sync.sync, sync.send, meetings.meetings,
                    run.worker, normalize.normalize_command, normalize.reprocess_command, health.status,
                    health.reconcile, keys.keys, sandbox.sandbox, demo.demo, chat.chat, serve.serve):
        cli.add_command(command)
    from worker.cli.sms import sms  # twilio: `integrations sms send`

    cli.add_command(sms)


_register()


def main() -> None:
    cli(prog_name="integrations")
