"""The Slack sandbox next to Google's in ``integrations sandbox serve``: started on its own port
(``--slack-port``, a free one by default); with ``--users`` its default workspace gets those people
(by email), five channels and ``--messages`` messages in each."""

from __future__ import annotations

import click

from .sandbox import Sandbox


def start(host: str, port: int, seed: int, users: list[str], messages: int) -> Sandbox:
    """A started Slack sandbox, populated when `users` are given; a clear error when the port is taken."""
    sb = Sandbox(seed=seed)
    if users:
        sb.generate(sb.DEFAULT_TEAM, channels=5, messages_per_channel=messages, users=users)
    try:
        return sb.start(host=host, port=port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} for the Slack sandbox: {error}; "
                                   "try another --slack-port") from error


def banner(sb: Sandbox) -> list[str]:
    return [f"Slack sandbox at {sb.base_url} (Web API under /api/)", f"client id:     {sb.client_id}",
            f"client secret: {sb.client_secret}", f"signing secret: {sb.signing_secret}",
            f"default workspace: {sb.DEFAULT_TEAM}"]
