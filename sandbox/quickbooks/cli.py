"""The QuickBooks sandbox next to Google's in ``integrations sandbox serve``: started on its own port
(``--quickbooks-port``, a free one by default); with ``--users`` its default company gets a generated
set of customers, invoices and payments. Its settings print after Twilio's."""

from __future__ import annotations

import click

from ..core.cli import companions
from .sandbox import Sandbox


def start(host: str, port: int, seed: int, generate: bool) -> Sandbox:
    """A started QuickBooks sandbox (its default company generated when ``generate``); a clear error
    when the port is taken."""
    sb = Sandbox(seed=seed)
    if generate:
        sb.generate()
    try:
        return sb.start(host=host, port=port)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port} for the QuickBooks sandbox: {error}; "
                                   "try another --quickbooks-port") from error


def banner(sb: Sandbox) -> list[str]:
    return [f"QuickBooks sandbox at {sb.base_url} (Accounting API under /v3/company/{{realmId}}/)",
            f"discovery:     {sb.discovery_url}", f"client id:     {sb.client_id}",
            f"client secret: {sb.client_secret}", f"default realm: {sb.DEFAULT_REALM}"]


def companion(port: int, options: dict, generate: bool) -> Sandbox:
    """Start the QuickBooks sandbox beside the main one (``sandbox.cli``'s ``serve``): its settings
    print after those started before it and it stops with it."""
    sb = start(options["host"], port, options["seed"], generate)
    companions().append((sb, lambda: banner(sb)))
    return sb
