"""The `state` of the web connect flow: signed, expiring, single-use, kept server-side.

The token the browser carries is `payload.signature`: the payload names the state's row, its
provider and its `return_to` (so even a used or expired state can send the person back to the UI
with an error code), the signature is an HMAC keyed from the keyring, so nobody can forge one or
point a state at another URL. The row (`integrations.oauth_states`) holds the flow's inputs and the
PKCE verifier encrypted; it is deleted by the callback that reads it, so a state works once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from psycopg.types.json import Jsonb

from worker.crypto import Keyring
from worker.store import query

TTL_SECONDS = 600
_PURPOSE = b"integrations oauth state v1"


class BadState(Exception):
    """The state was not signed by us (or is malformed): nothing in it can be trusted."""


class OtherBrowser(Exception):
    """The callback came from a browser the state is not bound to (worker/http/browser_binding.py)."""


@dataclass(frozen=True)
class Signed:
    nonce: str
    provider: str
    return_to: str


@dataclass(frozen=True)
class Pending:
    """What the callback needs to finish the flow (read once, from the row)."""

    tenant_id: str
    profile_id: str | None
    account_hint: str | None
    capabilities: list[str]
    scopes: list[str]
    return_to: str
    verifier: str
    expired: bool


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(keyring: Keyring, key_index: int, payload: str) -> bytes:
    key = hmac.new(keyring.keys[key_index].secret, _PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, payload.encode(), hashlib.sha256).digest()


def sign(keyring: Keyring, signed: Signed) -> str:
    payload = _b64(json.dumps({"n": signed.nonce, "p": signed.provider, "r": signed.return_to},
                              separators=(",", ":")).encode())
    return payload + "." + _b64(_signature(keyring, 0, payload))


def verify(keyring: Keyring, token: str) -> Signed:
    """The signed content, or BadState. Any configured key verifies (a key rotation mid-consent
    does not break the flow)."""
    payload, dot, signature = (token or "").partition(".")
    if not dot or not payload or not signature:
        raise BadState("malformed state")
    try:
        given = _unb64(signature)
    except ValueError:
        raise BadState("malformed state") from None
    if not any(hmac.compare_digest(_signature(keyring, i, payload), given) for i in range(len(keyring.keys))):
        raise BadState("state not signed by this service")
    content = json.loads(_unb64(payload))
    return Signed(content["n"], content["p"], content["r"])


def new(keyring: Keyring, provider: str, return_to: str) -> tuple[Signed, str]:
    """A fresh state and its signed token (stored by `store` once the consent URL is built)."""
    signed = Signed(secrets.token_urlsafe(24), provider, return_to)
    return signed, sign(keyring, signed)


def store(conn, keyring: Keyring, signed: Signed, *, tenant_id, profile_id, account_hint: str | None,
          capabilities: list[str], scopes: list[str], verifier: str) -> None:
    """Keep the pending consent until its callback (at most TTL_SECONDS)."""
    conn.execute(query("oauth_states.insert"), {
        "nonce": signed.nonce, "provider": signed.provider, "tenant_id": tenant_id, "profile_id": profile_id,
        "account_hint": account_hint, "capabilities": Jsonb(capabilities), "scopes": Jsonb(scopes),
        "return_to": signed.return_to, "secret": keyring.encrypt({"verifier": verifier}, f"oauth_state:{signed.nonce}"),
        "ttl_seconds": TTL_SECONDS})


def take_bound(conn, keyring: Keyring, signed: Signed, browser_hash: str | None) -> Pending | None:
    """The pending consent if `browser_hash` is the one its session's redemption bound it to,
    deleted as it is read; None when it was used already (or never was). From any other browser
    (or none) it raises OtherBrowser, and the state is burnt: its code can never be exchanged."""
    key = {"nonce": signed.nonce, "provider": signed.provider}
    row = conn.execute(query("oauth_states.binding"), key).fetchone()
    if row is None:
        return None
    bound = row["browser_hash"]
    if browser_hash and bound and hmac.compare_digest(bound, browser_hash):
        return take(conn, keyring, signed)
    conn.execute(query("oauth_states.burn"), key)
    conn.commit()  # burnt even though the caller's transaction ends in this error
    raise OtherBrowser()


def take(conn, keyring: Keyring, signed: Signed) -> Pending | None:
    """The pending consent, deleted as it is read; None when it was used already (or never was)."""
    row = conn.execute(query("oauth_states.take"), {"nonce": signed.nonce, "provider": signed.provider}).fetchone()
    if row is None:
        return None
    secret = keyring.decrypt(bytes(row["secret"]), f"oauth_state:{signed.nonce}")
    return Pending(tenant_id=str(row["tenant_id"]), profile_id=str(row["profile_id"]) if row["profile_id"] else None,
                   account_hint=row["account_hint"], capabilities=list(row["capabilities"]),
                   scopes=list(row["scopes"]), return_to=row["return_to"], verifier=secret["verifier"],
                   expired=row["expired"])
