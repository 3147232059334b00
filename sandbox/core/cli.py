"""Running a sandbox in the foreground, for ``integrations sandbox serve`` and ``python -m sandbox``.

Each provider's ``cli`` module holds its ``serve`` command (its options, its data generator) and
ends by calling ``serve_in_foreground``; ``sandbox.cli`` gathers those commands into one group.
"""

from __future__ import annotations

import threading
from typing import Callable

import click


def wait_forever() -> None:
    threading.Event().wait()


def serve_in_foreground(sb, host: str, port: int, print_env: bool, banner: Callable[[], list[str]]) -> None:
    """Start `sb` on host:port, print its settings (``--print-env``: NAME=value lines, else the
    lines `banner()` returns once it listens), then serve until interrupted."""
    try:
        sb.start(host=host, port=port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}; try another --port") from error
    if print_env:
        for name, value in sb.env().items():
            click.echo(f"{name}={value}")
    else:
        for line in banner():
            click.echo(line)
    try:
        wait_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
