"""The Microsoft sandbox next to Google's in ``integrations sandbox serve``: started on its own
port (``--microsoft-port``, a free one by default) with the same generated users."""

from __future__ import annotations

import click

from .sandbox import Sandbox


def start(host: str, port: int, seed: int, users: list[str], messages: int, events: int) -> Sandbox:
    """A started Microsoft sandbox with `users` generated; a clear error when the port is taken."""
    sb = Sandbox(seed=seed)
    if users:
        sb.generate(users, messages=messages, events=events)
    try:
        return sb.start(host=host, port=port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} for the Microsoft sandbox: {error}; "
                                   "try another --microsoft-port") from error


def banner(sb: Sandbox) -> list[str]:
    return [f"Microsoft sandbox at {sb.base_url} (https; CA: {sb.ca_path})",
            f"client id:     {sb.client_id}", f"client secret: {sb.client_secret}"]
