"""`integrations normalize` and `integrations reprocess`: dbt build on the project's database.

Both stream dbt's output as it runs and exit with dbt's own exit code (0 ok, 1 a model or unit test
failed, 2 dbt could not run). Data tests only warn, so one tenant's bad rows never block another's
models: their failures show as WARN lines here and in `integrations status`. `reprocess` rebuilds every
selected model from all raw records
(`--full-refresh`) without a single provider API call.
"""

from __future__ import annotations

import sys

import click


def _database_url() -> str:
    from worker.db.url import resolve_database_url
    from worker.settings import get_settings

    return resolve_database_url(get_settings())


def _run(full_refresh: bool, select: tuple[str, ...]) -> None:
    from worker.normalize import run_dbt_sync

    code = run_dbt_sync(_database_url(), full_refresh=full_refresh, select=list(select) or None,
                        on_line=lambda line: click.echo(line))
    sys.exit(code)


@click.command(name="normalize")
@click.option("--select", "-s", "select", multiple=True, metavar="M",
              help="Only these dbt models (dbt selector syntax, e.g. `emails+`). Repeatable.")
def normalize_command(select: tuple[str, ...]) -> None:
    """Normalize raw records new since the last run into the product tables (dbt build).

    \b
    Example:
      integrations normalize
      integrations normalize --select emails+
    """
    _run(False, select)


@click.command(name="reprocess")
@click.option("--select", "-s", "select", multiple=True, metavar="M",
              help="Only these dbt models (dbt selector syntax, e.g. `+emails`). Repeatable.")
def reprocess_command(select: tuple[str, ...]) -> None:
    """Rebuild the product tables from all raw records (dbt build --full-refresh).

    No provider is called: everything comes from integrations.raw_records. Use it after changing a
    model, e.g. a new column, to fill it for all history.

    \b
    Example:
      integrations reprocess
      integrations reprocess --select +emails
    """
    _run(True, select)
