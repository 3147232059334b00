"""Installing the app in a Slack workspace for a tenant: validate, consent, exchange, store.

The workspace is the one the installer picks on Slack's consent page (`--account T…` preselects it
and is then checked): its team id is the connection's account. An install into another workspace
than asked stores nothing and is revoked again -- unless a connection of any tenant holds that
workspace: a reinstall hands back the bot token it already uses. A second install of the same team
in the same tenant updates that connection. Nothing is written before the consent is checked; the
connection is created (or its capabilities enabled) only in the transaction that stores the token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable

from worker.connections import create_connection, enable_capability, get_connection, set_status, store_credentials
from worker.crypto import Keyring
from worker.db.connect import session
from worker.errors import BadInput, IntegrationsError
from worker.loopback import LoopbackReceiver, Pkce
from worker.providers.slack.auth.oauth import GrantNotRevoked, authorization_url, exchange_code, revoke_token, to_stored
from worker.providers.slack.provider import SLACK
from worker.providers.slack.settings import slack_settings
from worker.settings import Settings
from worker.store import query
from worker.sync.actions import resume_waiting_sends

PLACEHOLDER = "pending-consent"  # validation only: the team is known after consent


class WrongWorkspace(BadInput):
    """The app was installed in another workspace than the one asked for."""


def _apply_request(conn, *, tenant_id, team: str, capabilities: dict[str, dict | None]) -> dict:
    owner = {"tenant_id": tenant_id, "profile_id": None, "provider": SLACK.name, "account_id": team}
    existing = conn.execute(query("connections.find_owner_account"), owner).fetchone()
    if existing is None:
        return create_connection(conn, tenant_id=tenant_id, profile_id=None, provider=SLACK.name,
                                 account_id=team, capabilities=capabilities)
    for name, raw in capabilities.items():
        enable_capability(conn, existing["id"], name, raw)
    return get_connection(conn, existing["id"])


@dataclass(frozen=True)
class Consent:
    """The first half's answer: where to send the installer, and what the second half needs."""

    url: str
    verifier: str
    scopes: list[str]


def begin_slack(database_url: str, *, tenant_id, profile_id, account: str | None,
                capabilities: dict[str, dict | None], redirect_uri: str, state: str) -> Consent:
    """Validate the request (nothing kept) and build Slack's consent URL with its scopes and PKCE."""
    if profile_id is not None:
        raise BadInput("--profile is refused: a Slack workspace belongs to the tenant, not to a user")
    team_hint = (account or "").strip() or None
    with session(database_url) as conn:
        with conn.transaction(force_rollback=True):  # validation only: nothing is kept before consent
            row = _apply_request(conn, tenant_id=tenant_id, team=team_hint or PLACEHOLDER, capabilities=capabilities)
            enabled = {name: row["settings"].get(name) for name in row["capabilities"]}
            wanted = SLACK.required_scopes(enabled)
    pkce = Pkce.new()
    url = authorization_url(slack_settings(), redirect_uri, wanted, state, pkce, team_hint)
    return Consent(url, pkce.verifier, sorted(wanted))


def _remove_stray_install(database_url: str, ss, team: str, token: str) -> None:
    """Revoke the bot token of an install into a workspace nobody asked for -- unless a connection of
    ours (any tenant's) holds that workspace: a reinstall answers the bot token the workspace already
    has, so revoking it would end that connection too."""
    with session(database_url) as conn:
        held = conn.execute(query("connections.holders_of_account"),
                            {"provider": SLACK.name, "account_id": team}).fetchone()
    if held is not None:
        return
    try:
        revoke_token(ss, token)
    except GrantNotRevoked:
        pass  # the refusal matters more; the stray install is named in it


def finish_slack(database_url: str, keyring: Keyring, *, tenant_id, account: str | None,
                 capabilities: dict[str, dict | None], code: str, verifier: str, redirect_uri: str,
                 scopes: list[str]) -> dict:
    """Exchange the code, check the workspace, store; the connection (with `missing_scopes` when the
    install granted fewer scopes than asked: what was granted works). Raises WrongWorkspace."""
    ss = slack_settings()
    team_hint = (account or "").strip() or None
    tokens = exchange_code(ss, code, Pkce(verifier, ""), redirect_uri)
    team = str((tokens.get("team") or {}).get("id") or "")
    if not team:
        raise IntegrationsError("Slack's answer names no workspace (team.id): connect again")
    if team_hint and team != team_hint:
        _remove_stray_install(database_url, ss, team, tokens["access_token"])
        raise WrongWorkspace(f"the app was installed in workspace {team}, not {team_hint}: nothing was stored."
                             f" Connect again choosing {team_hint} (or pass --account {team})")
    stored = to_stored(tokens)
    granted = stored["scopes"]
    missing = sorted(set(scopes) - set(granted))
    with session(database_url) as conn:
        row = _apply_request(conn, tenant_id=tenant_id, team=team, capabilities=capabilities)
        store_credentials(conn, keyring, row["id"], stored, granted_scopes=granted)
        set_status(conn, row["id"], "active", None)
        resume_waiting_sends(conn, row["id"], SLACK.task_name("post_message"), actions=("post_message",))
        result = get_connection(conn, row["id"])
    if missing:  # stored (what was granted works), but the operator must know what is not
        result["missing_scopes"] = missing
    return result


def connect_slack(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                  account: str | None, capabilities: dict[str, dict | None], on_url: Callable[[str], None],
                  timeout: float = 300.0) -> dict:
    """The CLI's flow: the web's two halves with a loopback redirect between them."""
    state = secrets.token_urlsafe(24)
    with LoopbackReceiver() as receiver:
        consent = begin_slack(database_url, tenant_id=tenant_id, profile_id=profile_id, account=account,
                              capabilities=capabilities, redirect_uri=receiver.redirect_uri, state=state)
        on_url(consent.url)
        answer = receiver.wait(timeout)
    if answer.get("state") != state:
        raise IntegrationsError("the consent answer carried the wrong state: start again")
    if "error" in answer or not answer.get("code"):
        raise IntegrationsError(f"consent refused: {answer.get('error') or 'no code'}")
    return finish_slack(database_url, keyring, tenant_id=tenant_id, account=account, capabilities=capabilities,
                        code=answer["code"], verifier=consent.verifier, redirect_uri=receiver.redirect_uri,
                        scopes=consent.scopes)
