"""OAuth 2.0 bearer tokens for one registered client: issue, look up, refresh, revoke, expire.

Every provider after Google (Microsoft, Slack, QuickBooks) authorizes API calls the same way: an
access token that expires, minted for a grant (client, account, scopes), and an offline refresh
token that can be revoked. What differs is each provider's endpoints and wording (its ``oauth``
module) and token look (``access_prefix``, ``refresh_prefix``). Providers without OAuth (Twilio's
basic auth) simply do not use this module.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field


@dataclass
class Grant:
    """A token's identity: which client acted for which account with which scopes."""

    client_id: str
    email: str
    scopes: frozenset[str]


@dataclass
class AccessToken:
    grant: Grant
    expires_at: float
    refresh_token: str | None


@dataclass
class RefreshToken:
    grant: Grant
    revoked: bool = False


@dataclass
class TokenStore:
    client_id: str
    client_secret: str
    access_token_lifetime: float = 3600.0
    access_prefix: str = "sandbox-access-"
    refresh_prefix: str = "sandbox-refresh-"
    clock: object = time.monotonic
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    granted: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (client, email) -> scopes
    # test knob: consent as this account whatever the authorization request's hint says, like a
    # person picking another account in the provider's chooser (None: the hint)
    consent_as: str | None = None
    # test knob: the authorization endpoint shows a consent page with Allow / Cancel (core/consent.py)
    # instead of consenting at once
    consent_page: bool = False

    # -- issuing -----------------------------------------------------------------------------
    def new_access(self, grant: Grant, refresh: str | None) -> dict:
        """A token response (RFC 6749 5.1) for a new access token of `grant`."""
        token = self.access_prefix + secrets.token_urlsafe(24)
        lifetime = self.access_token_lifetime
        self.access_tokens[token] = AccessToken(grant, self.clock() + lifetime, refresh)
        return {
            "access_token": token,
            "expires_in": max(int(round(lifetime)), 0),
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }

    def new_refresh(self, grant: Grant) -> str:
        token = self.refresh_prefix + secrets.token_urlsafe(32)
        self.refresh_tokens[token] = RefreshToken(grant)
        return token

    def grant_scopes(self, grant: Grant) -> None:
        self.granted.setdefault((grant.client_id, grant.email), set()).update(grant.scopes)

    def issue(self, email: str, scopes, offline: bool = True) -> dict:
        """Skip the consent screen: tokens for ``email`` as if it had just consented."""
        grant = Grant(self.client_id, email, frozenset(scopes))
        self.grant_scopes(grant)
        refresh = self.new_refresh(grant) if offline else None
        answer = self.new_access(grant, refresh)
        if refresh:
            answer["refresh_token"] = refresh
        return answer

    # -- taking back -------------------------------------------------------------------------
    def revoke_account(self, email: str | None = None, refresh_token: str | None = None) -> int:
        """Revoke refresh tokens (all of an account's, or one) and the access tokens they minted."""
        revoked = set()
        for token, record in self.refresh_tokens.items():
            if token == refresh_token or (email is not None and record.grant.email == email):
                record.revoked = True
                revoked.add(token)
        for token, access in list(self.access_tokens.items()):
            if access.refresh_token in revoked or (email is not None and access.grant.email == email):
                del self.access_tokens[token]
        if email is not None:
            for key in [k for k in self.granted if k[1] == email]:
                del self.granted[key]
        return len(revoked)

    def expire_access_tokens(self, email: str | None = None) -> int:
        count = 0
        for access in self.access_tokens.values():
            if email is None or access.grant.email == email:
                access.expires_at = 0.0
                count += 1
        return count

    # -- checking ----------------------------------------------------------------------------
    def lookup(self, token: str) -> Grant | None:
        """The grant of a live access token; None when unknown, revoked or expired."""
        access = self.access_tokens.get(token)
        if access is None or access.expires_at <= self.clock():
            return None
        return access.grant


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header; None without one."""
    if not authorization or not authorization.lower().startswith("bearer "):
        return None
    return authorization[7:].strip()


def client_credentials(authorization: str | None, form: dict[str, str]) -> tuple[str | None, str | None]:
    """A token request's client id and secret: HTTP Basic (RFC 6749 2.3.1) over the form fields."""
    client_id, secret = form.get("client_id"), form.get("client_secret")
    auth = authorization or ""
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
            client_id, _, secret = decoded.partition(":")
        except ValueError:
            pass
    return client_id, secret


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def split_scopes(raw: str | None) -> set[str]:
    return {s for s in (raw or "").replace(",", " ").split() if s}
