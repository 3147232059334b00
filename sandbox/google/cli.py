"""``integrations sandbox serve``: run the Google sandbox in the foreground for the demo and for
manual work against the real clients."""

from __future__ import annotations

import click

from ..core.cli import serve_in_foreground
from .sandbox import Sandbox
from .spec import GMAIL_TABLES

PUBLIC_URL_META = "sandbox.public_url"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0 picks a free one).")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for generated data and faults.")
@click.option("--users", default="", help="Comma-separated accounts to generate mail and calendars for.")
@click.option("--messages", default=50, show_default=True, type=int, help="Messages per generated user.")
@click.option("--events", default=20, show_default=True, type=int, help="Events per generated user.")
@click.option("--quota-table", type=click.Choice(["2026", "legacy"]), default="2026", show_default=True,
              help="Gmail's quota table: 2026 (6,000 units/min, messages.get 20) or legacy (15,000, 5).")
@click.option("--quota", default=None, type=click.IntRange(min=0),
              help="Gmail quota units per user per minute [default: the table's]; 0 turns quotas off.")
@click.option("--print-env", is_flag=True, help="Print the INTEGRATIONS_* settings for this sandbox as NAME=value lines.")
def serve(host, port, seed, users, messages, events, quota_table, quota, print_env) -> None:
    """Serve the sandbox until interrupted.

    \b
    Example:
      integrations sandbox serve --port 8765 --seed 7 --users ana@acme.test --messages 200 --print-env
    """
    if quota is None:
        quota = GMAIL_TABLES[quota_table][1]
    sb = Sandbox(seed=seed, quota_units_per_window=quota or None, gmail_quota_table=quota_table,
                 calendar_requests_per_window=None if quota == 0 else 600)
    accounts = [u.strip() for u in users.split(",") if u.strip()]
    if accounts:
        sb.generate(accounts, messages=messages, events=events)
    public_url = click.get_current_context().meta.get(PUBLIC_URL_META)  # `sandbox serve --public-url`
    if public_url:
        sb.set_public_url(public_url)  # watched mailboxes publish Gmail pushes there

    def banner() -> list[str]:
        lines = [f"Google sandbox at {sb.base_url}", f"client id:     {sb.client_id}",
                 f"client secret: {sb.client_secret}"]
        return lines + ([f"accounts:      {', '.join(accounts)}"] if accounts else [])

    serve_in_foreground(sb, host, port, print_env, banner)
