"""`integrations connections ...`: create, list, show, enable/disable capabilities, delete."""

from __future__ import annotations

import click

from worker.cli.common import database_url, echo_json, echo_table, json_option, parse_json_object


def _session():
    from worker.db.connect import session

    return session(database_url())


@click.group()
def connections() -> None:
    """Connected accounts and their capabilities.

    \b
    Example:
      integrations connections list --json
    """


@connections.command("create")
@click.option("--tenant", required=True, help="Tenant UUID.")
@click.option("--profile", default=None, help="Profile UUID (user-owned providers such as google).")
@click.option("--provider", required=True, help="google, slack, ...")
@click.option("--account", required=True, help="The provider account, e.g. the mailbox address.")
@click.option("--capability", "capabilities", multiple=True, help="Capability to enable (repeatable).")
@click.option("--settings", "settings_json", default=None,
              help='JSON object keyed by capability, e.g. \'{"sync_inbox_live": {"labels": ["INBOX"]}}\'.')
@json_option
def create_command(tenant, profile, provider, account, capabilities, settings_json, as_json) -> None:
    """Create a connection (its capabilities wait for consent until tokens are stored).

    \b
    Example:
      integrations connections create --tenant 6f1c... --profile 0b7e... --provider google \\
          --account ana@example.com --capability sync_inbox_live --capability send_email
    """
    from worker.connections import capability_states, create_connection, public_view
    from worker.errors import BadInput

    settings = parse_json_object(settings_json, "--settings") or {}
    unknown = set(settings) - set(capabilities)
    if unknown:
        raise BadInput(f"--settings names capabilities not enabled with --capability: {', '.join(sorted(unknown))}")
    with _session() as conn:
        row = create_connection(conn, tenant_id=tenant, profile_id=profile, provider=provider, account_id=account,
                                capabilities={c: settings.get(c) for c in capabilities})
        states = capability_states(conn, row["id"])
    if as_json:
        echo_json({**public_view(row), "capability_states": states})
    else:
        click.echo(f"created connection {row['id']} ({provider} {account})")
        for state in states:
            click.echo(f"  {state['capability']}: {state['status']}")


@connections.command("list")
@click.option("--tenant", default=None, help="Only this tenant's connections.")
@json_option
def list_command(tenant, as_json) -> None:
    """List connections (never their secrets).

    \b
    Example:
      integrations connections list --tenant 6f1c...
    """
    from worker.connections import list_connections, public_view

    with _session() as conn:
        rows = [public_view(r) for r in list_connections(conn, tenant)]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        row["capabilities"] = ",".join(row["capabilities"]) or "-"
    echo_table(rows, ["id", "tenant_id", "provider", "account_id", "status", "capabilities"])


@connections.command("show")
@click.argument("connection_id")
@json_option
def show_command(connection_id, as_json) -> None:
    """Show one connection with its capability states (never its secrets).

    \b
    Example:
      integrations connections show 3d6f... --json
    """
    from worker.connections import capability_states, get_connection, public_view

    with _session() as conn:
        view = public_view(get_connection(conn, connection_id))
        states = capability_states(conn, connection_id)
    view["capability_states"] = states
    if as_json:
        echo_json(view)
        return
    for key in ("id", "tenant_id", "profile_id", "provider", "account_id", "status", "has_credentials",
                "credentials_key_id", "granted_scopes", "settings"):
        click.echo(f"{key}: {view[key]}")
    for state in states:
        click.echo(f"  {state['capability']}{'/' + state['stream'] if state['stream'] else ''}: {state['status']}"
                   f" (failures {state['consecutive_failures']}, last error: {state['last_error'] or '-'})")


@connections.command("enable")
@click.argument("connection_id")
@click.argument("capability")
@click.option("--settings", "settings_json", default=None, help="JSON object of this capability's settings.")
def enable_command(connection_id, capability, settings_json) -> None:
    """Enable a capability with its settings; without granted scopes it awaits consent.

    \b
    Example:
      integrations connections enable 3d6f... sync_calendar_live --settings '{"calendars": "all"}'
    """
    from worker.connections import enable_capability, missing_scopes

    with _session() as conn:
        row = enable_capability(conn, connection_id, capability, parse_json_object(settings_json, "--settings"))
        missing = missing_scopes(row, capability)
    if missing:
        click.echo(f"{capability} enabled, awaiting consent for: {' '.join(sorted(missing))}")
        click.echo(f"next: integrations connect {row['provider']} --tenant {row['tenant_id']} "
                   f"--profile {row['profile_id']} --account {row['account_id']} --capability {capability}")
    else:
        click.echo(f"{capability} enabled")


@connections.command("disable")
@click.argument("connection_id")
@click.argument("capability")
def disable_command(connection_id, capability) -> None:
    """Disable a capability (its cursor and staged data are kept).

    \b
    Example:
      integrations connections disable 3d6f... sync_inbox_live
    """
    from worker.connections import disable_capability

    with _session() as conn:
        disable_capability(conn, connection_id, capability)
    click.echo(f"{capability} disabled")


@connections.command("delete")
@click.argument("connection_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
def delete_command(connection_id, yes, as_json) -> None:
    """Delete a connection with its cursors and staged raw records, and revoke its grant.

    The grant (e.g. Google's refresh token) is revoked at the provider first, then our data is
    deleted. Exit 0 when the grant is revoked (or was already, or is kept because another
    connection uses the same account). Exit 1 when the provider could not be reached or refused:
    our data is still deleted, the grant may be alive, and the message says where to revoke it by
    hand.

    \b
    Example:
      integrations connections delete 3d6f... --yes
    """
    from worker.cli.common import settings
    from worker.connections import delete_and_revoke
    from worker.crypto import keyring_from_settings
    from worker.tasks.normalize import request_whole_build

    if not yes:
        click.confirm(f"delete connection {connection_id}, everything staged for it, and revoke its grant?",
                      abort=True)
    cfg = settings()
    with _session() as conn:
        outcome = delete_and_revoke(conn, keyring_from_settings(cfg), cfg, connection_id)
    # its normalized rows leave the product tables at the whole build, queued now (not in 15 min)
    queued = request_whole_build(database_url())
    if as_json:
        echo_json({"connection_id": str(outcome.connection_id), "deleted": True, "grant": outcome.grant,
                   "error": outcome.error,
                   "shared_with": str(outcome.shared_with) if outcome.shared_with else None})
    else:
        click.echo(f"deleted connection {outcome.connection_id}; its normalized rows leave the product tables at"
                   f" the next normalize run ({'queued' if queued else 'already queued'})")
        provider = outcome.provider
        if outcome.grant == "revoked":
            click.echo(f"revoked its {provider} grant")
        elif outcome.grant == "already_revoked":
            click.echo(f"its {provider} grant was already revoked")
        elif outcome.grant == "kept_shared":
            click.echo(f"kept its {provider} grant: connection {outcome.shared_with} uses the same account")
        elif outcome.grant == "not_revocable":
            click.echo(f"{provider} offers apps no way to revoke a grant: its stored token is deleted; the account's"
                       f" owner can remove the app's access{_by_hand(provider)}")
    if outcome.revoke_failed:
        click.echo(f"error: could not revoke its {outcome.provider} grant: {outcome.error}. "
                   f"The grant may still be alive: revoke the app's access by hand{_by_hand(outcome.provider)}.",
                   err=True)
        raise SystemExit(1)


def _by_hand(provider: str) -> str:
    from worker.registry import get_provider

    url = get_provider(provider).access_settings_url
    return f" at {url}" if url else ""


@connections.command("set-webhook-secret")
@click.argument("connection_id")
def set_webhook_secret_command(connection_id) -> None:
    """Store the secret a provider signs this account's webhooks with, read from standard input.

    Twilio signs with the account's auth token, which an API key connection does not hold; it is
    stored encrypted with the connection's credentials and never printed. A reconnect keeps it.

    \b
    Example:
      printf '%s\\n' "$TWILIO_AUTH_TOKEN" | integrations connections set-webhook-secret 3d6f...
    """
    from worker.cli.common import read_secret, settings
    from worker.connections import store_webhook_secret
    from worker.crypto import keyring_from_settings

    secret = read_secret("Webhook secret (the account's auth token)")
    with _session() as conn:
        row = store_webhook_secret(conn, keyring_from_settings(settings()), connection_id, secret)
    click.echo(f"webhook secret stored for connection {row['id']} ({row['provider']} {row['account_id']})")
