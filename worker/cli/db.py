"""`integrations db ...`: which database, its schema, the embedded server."""

from __future__ import annotations

import click

from worker.cli.common import database_url, echo_json, json_option, settings


@click.group()
def db() -> None:
    """The database: URL in use, migrations, the embedded server.

    \b
    Example:
      integrations db migrate && integrations db url
    """


@db.command("url")
@click.option("--show-password", is_flag=True, help="Print the password instead of ***.")
@json_option
def url_command(show_password: bool, as_json: bool) -> None:
    """Print the database URL in use (embedded server started if needed).

    \b
    Example:
      integrations db url --json
    """
    from worker.db.url import mask_password

    url = database_url()
    shown = url if show_password else mask_password(url)
    if as_json:
        echo_json({"url": shown, "embedded": settings().database_url is None})
    else:
        click.echo(shown)


@db.command("migrate")
def migrate_command() -> None:
    """Apply the integrations schema and procrastinate's schema (re-running is a no-op).

    \b
    Example:
      integrations db migrate
    """
    from worker.db.connect import connect
    from worker.db.migrate import migrate

    with connect(database_url()) as conn:
        steps = migrate(conn)
    for step in steps:
        click.echo(step)
    click.echo("database is up to date" if not steps else f"{len(steps)} step(s) applied")


@db.command("stop")
def stop_command() -> None:
    """Stop the embedded PostgreSQL server (nothing to do with a configured database).

    \b
    Example:
      integrations db stop
    """
    from worker.db.embedded import stop_embedded

    if settings().database_url is not None:
        click.echo("INTEGRATIONS_DATABASE_URL is set: the embedded server is not in use")
        return
    click.echo("stopped embedded PostgreSQL" if stop_embedded(settings().pg_dir) else "embedded PostgreSQL was not running")
