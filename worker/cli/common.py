"""What every command shares: settings, the database URL, JSON or table output."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Iterable
from uuid import UUID

import click

from worker.settings import get_settings


def settings():
    return get_settings()


def database_url() -> str:
    from worker.db.url import resolve_database_url

    return resolve_database_url(settings())


def json_option(func):
    return click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)


def _default(value: Any):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return "<bytes>"
    raise TypeError(type(value).__name__)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=_default, sort_keys=False))


def echo_table(rows: Iterable[dict], columns: list[str]) -> None:
    rows = list(rows)
    cells = [[str(row.get(col, "") if row.get(col) is not None else "-") for col in columns] for row in rows]
    widths = [max([len(col)] + [len(r[i]) for r in cells]) for i, col in enumerate(columns)]
    click.echo("  ".join(col.upper().ljust(w) for col, w in zip(columns, widths)))
    for r in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths)))


def parse_json_object(text: str | None, what: str) -> dict | None:
    from worker.errors import BadInput

    if text is None:
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadInput(f"{what} is not valid JSON: {error.msg} at column {error.colno}") from None
    if not isinstance(value, dict):
        raise BadInput(f"{what} must be a JSON object")
    return value


def read_secret(what: str) -> str:
    """A secret from standard input: a hidden prompt on a terminal, the first line of a pipe.

    Never an option: a command line is visible to every user of the machine (`ps`) and kept in
    shell history.
    """
    stdin = click.get_text_stream("stdin")
    if stdin.isatty():
        secret = click.prompt(what, hide_input=True, default="", show_default=False)
    else:
        secret = stdin.readline()
    secret = secret.strip()
    if not secret:
        from worker.errors import BadInput

        raise BadInput(f"no {what} on standard input")
    return secret
