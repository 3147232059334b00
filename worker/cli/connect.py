"""`integrations connect <provider>`: consent in a browser, tokens stored encrypted, any registered provider."""

from __future__ import annotations

import uuid
import webbrowser

import click

from worker.cli.common import database_url, echo_json, json_option, parse_json_object, read_secret, settings


@click.command()
@click.argument("provider")
@click.option("--tenant", required=True, type=click.UUID)
@click.option("--profile", type=click.UUID, default=None,
              help="The CRM user (required for user-owned providers such as google; refused for tenant-owned ones).")
@click.option("--account", default=None,
              help="The provider account: the mailbox address (google, microsoft), the account SID (twilio);"
                   " not needed where the consent names it (slack: the workspace, quickbooks: the company).")
@click.option("--api-key", default=None,
              help="The API key SID (twilio); its secret is read from standard input, never from the command line.")
@click.option("--capability", "capabilities", multiple=True, required=True, help="Capability to enable (repeatable).")
@click.option("--settings", "settings_json", default=None, help="JSON object keyed by capability.")
@click.option("--no-browser", is_flag=True, help="Print the consent URL instead of opening a browser.")
@click.option("--timeout", type=float, default=300.0, show_default=True, help="Seconds to wait for consent.")
@json_option
def connect(provider: str, tenant: uuid.UUID, profile: uuid.UUID | None, account: str | None, api_key: str | None,
            capabilities, settings_json, no_browser: bool, timeout: float, as_json: bool) -> None:
    """Authorise a provider account with the minimal scopes of the chosen capabilities.

    The account that consents must be --account: a consent given as another account exits 2
    (bad input: connect again choosing --account), stores nothing, and revokes the grant that
    consent created. Sends that waited for a reconnect are queued again once the account is
    connected.

    \b
    Example:
      integrations connect google --tenant 6f1c... --profile 0b7e... --account ana@example.com \\
          --capability sync_inbox_live --capability send_email --no-browser
      integrations connect slack --tenant 6f1c... --capability sync_channels_live --no-browser
      printf '%s\\n' "$KEY_SECRET" | integrations connect twilio --tenant 6f1c... --account AC... \\
          --api-key SK... --capability sync_sms_live
    """
    from worker.connections import capability_states, public_view
    from worker.crypto import database_keyring
    from worker.db.connect import session
    from worker.errors import BadInput
    from worker.registry import get_provider

    spec = get_provider(provider)
    for name in capabilities:
        spec.capability(name)
    if spec.ownership == "user" and profile is None:
        raise BadInput(f"--profile is required: {provider} accounts belong to a CRM user")
    if spec.ownership == "tenant" and profile is not None:
        raise BadInput(f"--profile is refused: {provider} accounts belong to the tenant, not to a user")
    if spec.needs_account and not account:
        raise BadInput(f"--account is required for {provider}")
    secret_input: dict = {}
    if spec.credential_kind == "api_key":
        if not api_key:
            raise BadInput(f"--api-key is required for {provider} (its secret is read from standard input)")
        secret = read_secret(f"{provider} API key secret")
        secret_input = {"api_key": api_key, "api_secret": secret}
    elif api_key:
        raise BadInput(f"--api-key is refused: {provider} connects through its consent page")
    cfg = settings()
    extra = parse_json_object(settings_json, "--settings") or {}
    unknown = set(extra) - set(capabilities)
    if unknown:
        raise BadInput(f"--settings names capabilities not in --capability: {', '.join(sorted(unknown))}")
    flow = spec.connect_flow()

    def show(url: str) -> None:
        click.echo("Open this URL to give consent:" if no_browser else "Opening the consent page:")
        click.echo(url)
        if not no_browser:
            webbrowser.open(url)

    url = database_url()
    with session(url) as conn:  # never store a credential under a key the other processes lack
        keyring = database_keyring(cfg, conn)
    row = flow(url, cfg, keyring, tenant_id=tenant, profile_id=profile,
               account=account, capabilities={c: extra.get(c) for c in capabilities},
               on_url=show, timeout=timeout, **secret_input)
    with session(url) as conn:
        states = capability_states(conn, row["id"])
    if as_json:
        echo_json({**public_view(row), "capability_states": states})
        return
    click.echo(f"connected {row['account_id']}: connection {row['id']}")
    click.echo(f"granted: {' '.join(row['granted_scopes'])}")
    for state in states:
        click.echo(f"  {state['capability']}: {state['status']}")
