"""The Twilio sandbox next to Google's in ``integrations sandbox serve``: started on its own port
(``--twilio-port``, a free one by default), statuses moving on in real time, and with ``--users``
one generated account (texts and calls) whose SID and API key the banner prints."""

from __future__ import annotations

import click

from ..core.cli import companions
from .sandbox import Sandbox


def start(host: str, port: int, seed: int, generate: bool) -> Sandbox:
    """A started Twilio sandbox (one generated account when ``generate``); a clear error when the
    port is taken."""
    sb = Sandbox(seed=seed, realtime=True)
    if generate:
        sb.generate(messages=200, calls=80)
    try:
        return sb.start(host=host, port=port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} for the Twilio sandbox: {error}; "
                                   "try another --twilio-port") from error


def banner(sb: Sandbox) -> list[str]:
    lines = [f"Twilio sandbox at {sb.base_url} (any API key of a known account is accepted)"]
    summary = sb.generated
    if summary:
        lines += [f"account sid:   {summary['account_sid']}",
                  f"api key:       {summary['key_sid']} (secret {summary['key_secret']})"]
    return lines


def companion(port: int, options: dict, generate: bool) -> Sandbox:
    """Start the Twilio sandbox beside the main one (``sandbox.cli``'s ``serve``): its settings print
    after the main one's and it stops with it."""
    sb = start(options["host"], port, options["seed"], generate)
    companions().append((sb, lambda: banner(sb)))
    return sb
