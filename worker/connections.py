"""Connections: one authorised account, its enabled capabilities and their settings.

Validation happens here, before any write, so bad input leaves the database untouched; the schema's
constraints are the second line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
from psycopg.types.json import Jsonb

from worker.capabilities import WEBHOOK_SECRET
from worker.crypto import Keyring
from worker.errors import BadInput, IntegrationsError, NotFound
from worker.registry import get_provider
from worker.store import query

AWAITING_CONSENT = "awaiting_consent"
READY = "ready"
DISABLED = "disabled"


def _uuid(value: Any, what: str) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise BadInput(f"{what} must be a UUID, got {value!r}") from None


def create_connection(conn: psycopg.Connection, *, tenant_id, profile_id, provider: str, account_id: str,
                      capabilities: dict[str, dict | None] | None = None) -> dict:
    """Create a connection; capabilities enabled here wait for consent until scopes are granted."""
    spec = get_provider(provider)
    tenant = _uuid(tenant_id, "tenant")
    profile = _uuid(profile_id, "profile")
    if tenant is None:
        raise BadInput("a connection needs a tenant")
    if spec.ownership == "user" and profile is None:
        raise BadInput(f"{provider} connections are owned by a user: give --profile")
    if spec.ownership == "tenant" and profile is not None:
        raise BadInput(f"{provider} connections are owned by the tenant: do not give --profile")
    if not account_id or not account_id.strip():
        raise BadInput("a connection needs an account id (e.g. the mailbox address)")
    capabilities = capabilities or {}
    settings = {name: spec.capability(name).validate_settings(raw).model_dump() for name, raw in capabilities.items()}
    params = {"tenant_id": tenant, "profile_id": profile, "provider": provider, "account_id": account_id.strip()}
    if conn.execute(query("connections.find_owner_account"), params).fetchone():
        owner = f"profile {profile}" if profile else f"tenant {tenant}"
        raise BadInput(f"{provider} account {account_id} is already connected for {owner}")
    conn.execute(query("connections.ensure_provider"), {"provider": provider, "ownership": spec.ownership})
    try:
        with conn.transaction():
            row = conn.execute(
                query("connections.insert"),
                {**params, "ownership": spec.ownership, "capabilities": list(settings), "settings": Jsonb(settings)},
            ).fetchone()
    except psycopg.errors.UniqueViolation:
        raise BadInput(f"{provider} account {account_id} is already connected for this owner") from None
    refresh_capability_states(conn, row)
    return get_connection(conn, row["id"])


def get_connection(conn: psycopg.Connection, connection_id, *, for_update: bool = False) -> dict:
    cid = _uuid(connection_id, "connection id")
    row = conn.execute(query("connections.get_for_update" if for_update else "connections.get"), {"id": cid}).fetchone()
    if row is None:
        raise NotFound(f"no connection {connection_id}")
    return row


def list_connections(conn: psycopg.Connection, tenant_id=None) -> list[dict]:
    return conn.execute(query("connections.list"), {"tenant_id": _uuid(tenant_id, "tenant")}).fetchall()


def capability_states(conn: psycopg.Connection, connection_id) -> list[dict]:
    return conn.execute(query("connections.capability_states"), {"id": _uuid(connection_id, "connection id")}).fetchall()


def missing_scopes(row: dict, capability: str) -> frozenset[str]:
    return get_provider(row["provider"]).capability(capability).missing_scopes(row)


def refresh_capability_states(conn: psycopg.Connection, row: dict) -> None:
    """Each enabled capability is ready when its scopes are granted, else awaiting consent."""
    for capability in row["capabilities"]:
        status = AWAITING_CONSENT if missing_scopes(row, capability) else READY
        current = conn.execute(query("connections.capability_status"),
                               {"connection_id": row["id"], "capability": capability}).fetchone()
        if current and status == READY and current["status"] not in (AWAITING_CONSENT, DISABLED):
            continue  # keep ok / failing history of a capability that was already running
        conn.execute(query("connections.upsert_capability_state"),
                     {"connection_id": row["id"], "capability": capability, "status": status})


def enable_capability(conn: psycopg.Connection, connection_id, capability: str, settings: dict | None = None) -> dict:
    row = get_connection(conn, connection_id, for_update=True)
    spec = get_provider(row["provider"]).capability(capability)
    validated = spec.validate_settings(settings).model_dump()
    caps = list(row["capabilities"])
    if capability not in caps:
        caps.append(capability)
    all_settings = {**row["settings"], capability: validated}
    updated = conn.execute(query("connections.set_capabilities"),
                           {"id": row["id"], "capabilities": caps, "settings": Jsonb(all_settings)}).fetchone()
    refresh_capability_states(conn, updated)
    return updated


def disable_capability(conn: psycopg.Connection, connection_id, capability: str) -> dict:
    row = get_connection(conn, connection_id, for_update=True)
    get_provider(row["provider"]).capability(capability)
    if capability not in row["capabilities"]:
        raise BadInput(f"{capability} is not enabled on connection {row['id']}")
    caps = [c for c in row["capabilities"] if c != capability]
    updated = conn.execute(query("connections.set_capabilities"),
                           {"id": row["id"], "capabilities": caps, "settings": Jsonb(row["settings"])}).fetchone()
    conn.execute(query("connections.upsert_capability_state"),
                 {"connection_id": row["id"], "capability": capability, "status": DISABLED})
    return updated


def delete_connection(conn: psycopg.Connection, connection_id) -> None:
    if conn.execute(query("connections.delete"), {"id": _uuid(connection_id, "connection id")}).fetchone() is None:
        raise NotFound(f"no connection {connection_id}")


@dataclass(frozen=True)
class Deletion:
    """What deleting a connection did at the provider: `grant` is one of
    revoked | already_revoked | nothing_to_revoke | no_grants (the provider has none) |
    kept_shared (another connection holds the same account: see `shared_with`) | not_revoked."""

    connection_id: UUID
    provider: str
    grant: str
    error: str | None = None
    shared_with: UUID | None = None

    @property
    def revoke_failed(self) -> bool:
        return self.grant == "not_revoked"


def delete_and_revoke(conn: psycopg.Connection, keyring: Keyring, settings, connection_id) -> Deletion:
    """Delete a connection and revoke its grant at the provider (DESIGN.md invariant 5).

    The row is locked first, so a reconnect cannot store a new grant between the revoke and the
    delete. The revoke comes before the delete because afterwards we no longer hold the token; if
    it fails our data is still deleted and the result says so (`revoke_failed`). A grant is kept
    when another connection (another tenant or profile) holds the same provider account: at Google
    revoking a token can end the user's whole grant to the app, which would break that connection.
    """
    row = get_connection(conn, connection_id, for_update=True)
    provider = get_provider(row["provider"])
    if provider.before_delete is not None:
        _before_delete(conn, keyring, settings, row, provider.before_delete)
    revoker = provider.revoker()
    if revoker is None:
        outcome = Deletion(row["id"], row["provider"], "no_grants")
    else:
        outcome = _revoke(conn, keyring, settings, row, revoker)
    delete_connection(conn, row["id"])
    return outcome


def _before_delete(conn, keyring: Keyring, settings, row: dict, hook) -> None:
    """The provider's undoing with the grant still held (its push watches); nothing without credentials."""
    try:
        credentials = load_credentials(keyring, row)
    except Exception:  # undecryptable here: _revoke says so; the watches expire by themselves
        return
    if credentials:
        shared = conn.execute(query("connections.same_account_elsewhere"), {
            "id": row["id"], "provider": row["provider"], "account_id": row["account_id"]}).fetchone()
        hook(conn, settings, row, credentials, shared is not None)


def _revoke(conn, keyring: Keyring, settings, row: dict, revoker) -> Deletion:
    shared = conn.execute(query("connections.same_account_elsewhere"), {
        "id": row["id"], "provider": row["provider"], "account_id": row["account_id"]}).fetchone()
    if shared is not None:
        return Deletion(row["id"], row["provider"], "kept_shared", shared_with=shared["id"])
    try:
        credentials = load_credentials(keyring, row)
    except Exception as error:  # a key this machine does not have: say so, never crash the delete
        return Deletion(row["id"], row["provider"], "not_revoked",
                        error=f"its credentials cannot be decrypted here: {error}")
    try:
        return Deletion(row["id"], row["provider"], revoker(settings, credentials))
    except IntegrationsError as error:
        return Deletion(row["id"], row["provider"], "not_revoked", error=str(error))


def store_credentials(conn: psycopg.Connection, keyring: Keyring, connection_id, credentials: dict,
                      granted_scopes: list[str] | None = None) -> None:
    """Encrypt and store tokens; with `granted_scopes`, capabilities waiting for them become ready."""
    row = get_connection(conn, connection_id, for_update=True)
    scopes = sorted(set(granted_scopes)) if granted_scopes is not None else list(row["granted_scopes"])
    if WEBHOOK_SECRET not in credentials and row["credentials"] is not None:
        # the webhook secret is the account's, not the grant's: a reconnect keeps it (unless the
        # old credentials no longer decrypt: a reconnect is then how they are replaced)
        try:
            kept = load_credentials(keyring, row).get(WEBHOOK_SECRET)
        except Exception:
            kept = None
        credentials = {**credentials, WEBHOOK_SECRET: kept} if kept else credentials
    blob = keyring.encrypt(credentials, associated=str(row["id"]))
    conn.execute(query("connections.set_credentials"),
                 {"id": row["id"], "credentials": blob, "key_id": keyring.current.key_id, "granted_scopes": scopes})
    refresh_capability_states(conn, get_connection(conn, row["id"]))


def store_webhook_secret(conn: psycopg.Connection, keyring: Keyring, connection_id, secret: str) -> dict:
    """Keep the secret the provider signs this account's webhooks with (Twilio's auth token) with
    the connection's encrypted credentials; the grant and its scopes are unchanged."""
    row = get_connection(conn, connection_id, for_update=True)
    provider = get_provider(row["provider"])
    if not any(w.verify is not None for w in provider.webhooks):
        raise BadInput(f"{provider.name} webhooks are not verified with a per-connection secret"
                       " (see the README's `serve` section for its setting)")
    if row["credentials"] is None:
        raise BadInput(f"connection {row['id']} has no credentials yet: connect it first")
    if not secret.strip():
        raise BadInput("the webhook secret read from standard input was empty")
    credentials = {**load_credentials(keyring, row), WEBHOOK_SECRET: secret.strip()}
    conn.execute(query("connections.set_refreshed_credentials"),
                 {"id": row["id"], "credentials": keyring.encrypt(credentials, associated=str(row["id"])),
                  "key_id": keyring.current.key_id})
    return get_connection(conn, row["id"])


def load_credentials(keyring: Keyring, row: dict) -> dict | None:
    if row["credentials"] is None:
        return None
    return keyring.decrypt(row["credentials"], associated=str(row["id"]))


def set_status(conn: psycopg.Connection, connection_id, status: str, reason: str | None = None) -> None:
    conn.execute(query("connections.set_status"), {"id": _uuid(connection_id, "connection id"),
                                                    "status": status, "reason": reason})


def rotate_keys(conn: psycopg.Connection, keyring: Keyring) -> int:
    """Re-encrypt every connection's credentials with the current key; all or nothing."""
    count = 0
    with conn.transaction():
        for row in conn.execute(query("connections.all_credentials")).fetchall():
            plain = keyring.decrypt(row["credentials"], associated=str(row["id"]))
            conn.execute(
                "update integrations.connections set credentials = %s, credentials_key_id = %s, updated_at = now()"
                " where id = %s",
                (keyring.encrypt(plain, associated=str(row["id"])), keyring.current.key_id, row["id"]),
            )
            count += 1
    return count


def public_view(row: dict) -> dict:
    """A connection as shown to people and scripts: no credentials, only whether they exist."""
    return {
        "id": str(row["id"]),
        "tenant_id": str(row["tenant_id"]),
        "profile_id": str(row["profile_id"]) if row["profile_id"] else None,
        "provider": row["provider"],
        "account_id": row["account_id"],
        "status": row["status"],
        "status_reason": row.get("status_reason"),
        "capabilities": list(row["capabilities"]),
        "settings": row["settings"],
        "granted_scopes": list(row["granted_scopes"]),
        "has_credentials": row["credentials"] is not None,
        "credentials_key_id": row.get("credentials_key_id"),
        "created_at": row["created_at"].isoformat(),
    }
