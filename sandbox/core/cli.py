"""Running a sandbox in the foreground, for ``integrations sandbox serve`` and ``python -m sandbox``.

Each provider's ``cli`` module holds its ``serve`` command (its options, its data generator) and
ends by calling ``serve_in_foreground``; ``sandbox.cli`` gathers those commands into one group.
Other sandboxes started next to it (``sandbox.cli`` starts Microsoft's beside Google's) ride along
as companions in the click context's ``meta``: their settings print after the main one's and they
stop with it.
"""

from __future__ import annotations

import threading
from typing import Callable

import click


def wait_forever() -> None:
    threading.Event().wait()


COMPANIONS = "sandbox.companions"  # ctx.meta key: [(started sandbox, banner callable)]


def companions() -> list:
    ctx = click.get_current_context(silent=True)
    return ctx.meta.setdefault(COMPANIONS, []) if ctx is not None else []


def serve_in_foreground(sb, host: str, port: int, print_env: bool, banner: Callable[[], list[str]]) -> None:
    """Start `sb` on host:port, print its settings (``--print-env``: NAME=value lines, else the
    lines `banner()` returns once it listens) and its companions', then serve until interrupted."""
    riders = companions()
    try:
        sb.start(host=host, port=port)
    except OSError as error:
        for rider, _ in riders:
            rider.stop()
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}; try another --port") from error
    everyone = [(sb, banner)] + list(riders)
    for each, each_banner in everyone:
        lines = [f"{name}={value}" for name, value in each.env().items()] if print_env else each_banner()
        for line in lines:
            click.echo(line)
    try:
        wait_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for each, _ in everyone:
            each.stop()
