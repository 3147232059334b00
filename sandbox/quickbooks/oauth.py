"""Intuit's OAuth 2.0 for one registered app, on the core ``TokenStore``, with QBO's rotating
refresh tokens.

    GET  /.well-known/openid-configuration   the discovery document (intuit-oauth reads it first)
    GET  /connect/oauth2                     consent at once -> redirect_uri?code&state&realmId
    POST /oauth2/v1/tokens/bearer            HTTP Basic client auth; grant_type authorization_code
                                             (code, redirect_uri) | refresh_token (refresh_token)
    POST /v2/oauth2/tokens/revoke            HTTP Basic; JSON {"token": access or refresh token}

Consent is automatic, as in the other sandboxes: the company is ``realm`` from the query (created
when unknown), else ``consent_as``, else the default realm. The scope must include
``com.intuit.quickbooks.accounting`` (else the redirect carries ``error=invalid_scope``).

Token answers: ``{"token_type": "bearer", "access_token", "expires_in" (the access lifetime, 3600 by
default), "refresh_token", "x_refresh_token_expires_in" (rolling 100 days)}``, plus
``x_refresh_token_hard_expires_in`` when the request sends ``x-include-refresh-token-hard-expires-in:
true``. Rotation: EVERY refresh answers a new refresh token; the one it used keeps working for
``refresh_grace_seconds`` (a sandbox setting) and then answers 400 ``{"error": "invalid_grant"}`` --
like a revoked, unknown or expired one. Refreshing with an old token inside its grace gives yet
another new pair (both chains live), so two workers racing on one token both end with a working one.
Revoking any token of a connection disconnects the app from that company: every token of the realm
dies. A token's account in the core store is its realm id.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from ..core.consent import ask
from ..core.errors import OAuthError
from ..core.tokens import Grant, RefreshToken, TokenStore, client_credentials
from ..core.wire import Request, Response
from .clock import Clock
from .state import DEFAULT_REALM, World

SCOPE = "com.intuit.quickbooks.accounting"
CODE_LIFETIME = 600.0
REFRESH_LIFETIME = 8_726_400  # 101 days, what Intuit answers
HARD_LIFETIME = 5 * 365 * 86_400
HARD_HEADER = "x-include-refresh-token-hard-expires-in"


class IntuitOAuthError(OAuthError):
    """Intuit's token endpoint answers the bare RFC 6749 code: ``{"error": "invalid_grant"}``."""

    def body(self) -> dict:
        return {"error": self.error}


@dataclass
class AuthCode:
    realm_id: str
    scopes: frozenset[str]
    redirect_uri: str
    expires_at: float


@dataclass
class Rotation:
    """A refresh token's life: when it dies outright, and when it was replaced (grace runs from then)."""

    expires_at: float
    hard_expires_at: float
    replaced_at: float | None = None


class QuickBooksOAuth:
    """``grace()`` returns the sandbox's current refresh grace period in seconds."""

    def __init__(self, tokens: TokenStore, world: World, clock: Clock, grace) -> None:
        self.tokens, self.world, self.clock, self.grace = tokens, world, clock, grace
        self.codes: dict[str, AuthCode] = {}
        self.rotations: dict[str, Rotation] = {}

    # -- discovery -------------------------------------------------------------------------------
    def discovery(self, base_url: str) -> dict:
        return {
            "issuer": f"{base_url}/op/v1",
            "authorization_endpoint": f"{base_url}/connect/oauth2",
            "token_endpoint": f"{base_url}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base_url}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base_url}/v2/oauth2/tokens/revoke",
            "jwks_uri": f"{base_url}/oauth2/v1/keys",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile", "address", "phone", SCOPE,
                                 "com.intuit.quickbooks.payment"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
        }

    # -- issuing ---------------------------------------------------------------------------------
    def issue(self, realm_id: str, scopes=(SCOPE,), hard: bool = False, hard_expires_at: float | None = None) -> dict:
        """A token answer for `realm_id` as if its admin had just connected the app."""
        now = self.clock.seconds()
        grant = Grant(self.tokens.client_id, str(realm_id), frozenset(scopes))
        self.tokens.grant_scopes(grant)
        refresh = "AB11" + secrets.token_hex(23)
        self.tokens.refresh_tokens[refresh] = RefreshToken(grant)
        rotation = Rotation(now + REFRESH_LIFETIME, hard_expires_at or now + HARD_LIFETIME)
        self.rotations[refresh] = rotation
        access = self.tokens.new_access(grant, refresh)
        answer = {"token_type": "bearer", "access_token": access["access_token"], "expires_in": access["expires_in"],
                  "refresh_token": refresh,
                  "x_refresh_token_expires_in": int(min(REFRESH_LIFETIME, rotation.hard_expires_at - now))}
        if hard:
            answer["x_refresh_token_hard_expires_in"] = int(rotation.hard_expires_at - now)
        return answer

    # -- taking back -----------------------------------------------------------------------------
    def revoke_realm(self, realm_id: str) -> int:
        return self.tokens.revoke_account(str(realm_id))

    # -- GET /connect/oauth2 ---------------------------------------------------------------------
    def authorize(self, req: Request) -> Response:
        if req.param("client_id") != self.tokens.client_id:
            return _page(400, "invalid_client: the client_id is not a registered app.")
        redirect_uri = req.param("redirect_uri")
        if not redirect_uri:
            return _page(400, "invalid_request: redirect_uri is required.")
        state = req.param("state")
        if req.param("response_type", "code") != "code":
            return Response.redirect(_with_query(redirect_uri, error="unsupported_response_type", state=state))
        scopes = set((req.param("scope") or "").split())
        if SCOPE not in scopes:
            return Response.redirect(_with_query(redirect_uri, error="invalid_scope", state=state))
        realm_id = req.param("realm") or self.tokens.consent_as or DEFAULT_REALM
        asked = ask(req, self.tokens, provider="QuickBooks", account=f"company {realm_id}", permissions=scopes,
                    refused=lambda: Response.redirect(_with_query(redirect_uri, error="access_denied", state=state)))
        if asked is not None:
            return asked
        try:
            self.world.ensure_realm(realm_id)
        except ValueError:
            return Response.redirect(_with_query(redirect_uri, error="access_denied", state=state))
        code = "AB11" + secrets.token_urlsafe(36)
        self.codes[code] = AuthCode(realm_id, frozenset(scopes), redirect_uri, self.clock.seconds() + CODE_LIFETIME)
        return Response.redirect(_with_query(redirect_uri, code=code, state=state, realmId=realm_id))

    # -- POST /oauth2/v1/tokens/bearer -----------------------------------------------------------
    def token(self, req: Request) -> tuple[str, dict]:
        """(realm id, token answer) or an ``OAuthError``."""
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        client_id, secret = client_credentials(req.headers.get("authorization"), form)
        if client_id != self.tokens.client_id or secret != self.tokens.client_secret:
            raise IntuitOAuthError(401, "invalid_client", "Client authentication failed")
        hard = req.headers.get(HARD_HEADER, "").lower() == "true"
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            record = self.codes.pop(form.get("code", ""), None)
            if record is None or record.expires_at <= self.clock.seconds():
                raise IntuitOAuthError(400, "invalid_grant", "Invalid authorization code")
            if form.get("redirect_uri") != record.redirect_uri:
                raise IntuitOAuthError(400, "invalid_grant", "redirect_uri does not match the authorization request")
            return record.realm_id, self.issue(record.realm_id, record.scopes, hard)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""), hard)
        raise IntuitOAuthError(400, "unsupported_grant_type", f"grant_type {grant_type!r} is not supported")

    def _refresh(self, token: str, hard: bool) -> tuple[str, dict]:
        now = self.clock.seconds()
        record = self.tokens.refresh_tokens.get(token)
        rotation = self.rotations.get(token)
        if record is None or rotation is None or record.revoked or now >= min(rotation.expires_at,
                                                                                rotation.hard_expires_at):
            raise IntuitOAuthError(400, "invalid_grant", "Incorrect or invalid refresh token")
        if rotation.replaced_at is not None and now > rotation.replaced_at + self.grace():
            raise IntuitOAuthError(400, "invalid_grant", "Incorrect or invalid refresh token")
        if rotation.replaced_at is None:
            rotation.replaced_at = now
        realm_id = record.grant.email
        return realm_id, self.issue(realm_id, record.grant.scopes, hard, rotation.hard_expires_at)

    # -- POST /v2/oauth2/tokens/revoke -----------------------------------------------------------
    def revoke(self, req: Request) -> str | None:
        """The realm disconnected (None when the token was unknown: still 200, RFC 7009)."""
        client_id, secret = client_credentials(req.headers.get("authorization"), {})
        if client_id != self.tokens.client_id or secret != self.tokens.client_secret:
            raise IntuitOAuthError(401, "invalid_client", "Client authentication failed")
        try:
            token = json.loads(req.body or b"{}").get("token")
        except (ValueError, AttributeError):
            token = None
        if not token:
            raise IntuitOAuthError(400, "invalid_request", "token is required")
        grant = None
        if token in self.tokens.refresh_tokens:
            grant = self.tokens.refresh_tokens[token].grant
        elif token in self.tokens.access_tokens:
            grant = self.tokens.access_tokens[token].grant
        if grant is None:
            return None
        self.revoke_realm(grant.email)
        return grant.email


def _page(status: int, text: str) -> Response:
    return Response(status, text.encode(), [("Content-Type", "text/plain; charset=utf-8")])


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
