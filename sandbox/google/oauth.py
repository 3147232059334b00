"""Google's OAuth 2.0 endpoints for one registered client, consenting without a browser.

The authorization endpoint grants whatever is asked for, as the account named in ``login_hint``
(created if unknown; ``consent_as`` overrides it, as a person choosing another account would),
and redirects straight back; everything after that — PKCE S256, offline
refresh tokens, incremental scopes, expiring access tokens, ``invalid_grant`` after revocation — is
enforced as Google does, because that is what the project's connect and refresh code must survive.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from .errors import OAuthError, auth_error
from .wire import Request, Response

DEFAULT_ACCOUNT = "user@sandbox.test"


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
class AuthCode:
    grant: Grant
    redirect_uri: str
    offline: bool
    challenge: str | None
    challenge_method: str | None
    expires_at: float


@dataclass
class OAuthState:
    client_id: str
    client_secret: str
    access_token_lifetime: float = 3600.0
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    granted: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # (client, email) -> scopes
    # test knob: consent as this account whatever `login_hint` says, like a person picking another
    # account in Google's chooser (None: the hint, or DEFAULT_ACCOUNT)
    consent_as: str | None = None


def _split_scopes(raw: str | None) -> set[str]:
    return {s for s in (raw or "").replace(",", " ").split() if s}


def pkce_s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuth:
    """Issues and checks tokens. ``ensure_account`` is called for every consenting account."""

    def __init__(self, state: OAuthState, ensure_account, clock=time.monotonic) -> None:
        self.state = state
        self.ensure_account = ensure_account
        self.clock = clock

    # -- issuing -----------------------------------------------------------------------------
    def _new_access(self, grant: Grant, refresh: str | None) -> dict:
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        lifetime = self.state.access_token_lifetime
        self.state.access_tokens[token] = AccessToken(grant, self.clock() + lifetime, refresh)
        return {
            "access_token": token,
            "expires_in": max(int(round(lifetime)), 0),
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }

    def issue(self, email: str, scopes, offline: bool = True) -> dict:
        """Skip the consent screen: tokens for ``email`` as if it had just consented."""
        self.ensure_account(email)
        grant = Grant(self.state.client_id, email, frozenset(scopes))
        self.state.granted.setdefault((grant.client_id, email), set()).update(grant.scopes)
        refresh = None
        if offline:
            refresh = "1//sandbox-" + secrets.token_urlsafe(32)
            self.state.refresh_tokens[refresh] = RefreshToken(grant)
        answer = self._new_access(grant, refresh)
        if refresh:
            answer["refresh_token"] = refresh
        return answer

    def revoke_account(self, email: str | None = None, refresh_token: str | None = None) -> int:
        """Revoke refresh tokens (all of an account's, or one) and the access tokens they minted."""
        revoked = set()
        for token, record in self.state.refresh_tokens.items():
            if token == refresh_token or (email is not None and record.grant.email == email):
                record.revoked = True
                revoked.add(token)
        for token, access in list(self.state.access_tokens.items()):
            if access.refresh_token in revoked or (email is not None and access.grant.email == email):
                del self.state.access_tokens[token]
        if email is not None:
            for key in [k for k in self.state.granted if k[1] == email]:
                del self.state.granted[key]
        return len(revoked)

    def expire_access_tokens(self, email: str | None = None) -> int:
        count = 0
        for access in self.state.access_tokens.values():
            if email is None or access.grant.email == email:
                access.expires_at = 0.0
                count += 1
        return count

    # -- checking ----------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Grant:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise auth_error("Request is missing required authentication credential.")
        token = authorization[7:].strip()
        access = self.state.access_tokens.get(token)
        if access is None or access.expires_at <= self.clock():
            raise auth_error()
        return access.grant

    # -- HTTP endpoints ----------------------------------------------------------------------
    def authorize(self, req: Request) -> Response:
        client_id = req.param("client_id")
        redirect_uri = req.param("redirect_uri")
        if client_id != self.state.client_id:
            return Response(401, b"Error 401: invalid_client\nThe OAuth client was not found.",
                            [("Content-Type", "text/plain; charset=utf-8")])
        if not redirect_uri:
            return Response(400, b"Error 400: invalid_request\nMissing required parameter: redirect_uri",
                            [("Content-Type", "text/plain; charset=utf-8")])
        state = req.param("state")
        if req.param("response_type", "code") != "code":
            return Response.redirect(_with_query(redirect_uri, error="unsupported_response_type", state=state))
        requested = _split_scopes(req.param("scope"))
        if not requested:
            return Response.redirect(_with_query(redirect_uri, error="invalid_scope", state=state))
        method = req.param("code_challenge_method")
        challenge = req.param("code_challenge")
        if challenge and (method or "plain") not in ("S256", "plain"):
            return Response.redirect(_with_query(redirect_uri, error="invalid_request", state=state))
        email = (self.state.consent_as or req.param("login_hint") or DEFAULT_ACCOUNT).strip().lower()
        self.ensure_account(email)
        scopes = set(requested)
        if (req.param("include_granted_scopes") or "").lower() == "true":
            scopes |= self.state.granted.get((client_id, email), set())
        self.state.granted.setdefault((client_id, email), set()).update(scopes)
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        self.state.codes[code] = AuthCode(
            grant=Grant(client_id, email, frozenset(scopes)),
            redirect_uri=redirect_uri,
            offline=req.param("access_type") == "offline",
            challenge=challenge,
            challenge_method=(method or "plain") if challenge else None,
            expires_at=self.clock() + 600,
        )
        return Response.redirect(
            _with_query(redirect_uri, state=state, code=code, scope=" ".join(sorted(scopes)),
                        authuser="0", prompt="consent")
        )

    def _client(self, req: Request, form: dict[str, str]) -> None:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = req.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(auth[6:].strip()).decode()
                client_id, _, secret = decoded.partition(":")
            except ValueError:
                pass
        if client_id != self.state.client_id or secret != self.state.client_secret:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")

    def token(self, req: Request) -> Response:
        if req.method != "POST":
            raise OAuthError(405, "invalid_request", "Token endpoint requires POST.")
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        self._client(req, form)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return Response.json(200, self._exchange_code(form))
        if grant_type == "refresh_token":
            return Response.json(200, self._refresh(form))
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _exchange_code(self, form: dict[str, str]) -> dict:
        record = self.state.codes.pop(form.get("code", ""), None)
        if record is None or record.expires_at <= self.clock():
            raise OAuthError(400, "invalid_grant", "Malformed auth code.")
        if record.redirect_uri != form.get("redirect_uri"):
            raise OAuthError(400, "redirect_uri_mismatch", "Bad Request")
        if record.challenge:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError(400, "invalid_grant", "Missing code verifier.")
            expected = pkce_s256(verifier) if record.challenge_method == "S256" else verifier
            if expected != record.challenge:
                raise OAuthError(400, "invalid_grant", "Invalid code verifier.")
        refresh = None
        if record.offline:
            refresh = "1//sandbox-" + secrets.token_urlsafe(32)
            self.state.refresh_tokens[refresh] = RefreshToken(record.grant)
        answer = self._new_access(record.grant, refresh)
        if refresh:
            answer["refresh_token"] = refresh
        return answer

    def _refresh(self, form: dict[str, str]) -> dict:
        record = self.state.refresh_tokens.get(form.get("refresh_token", ""))
        if record is None:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if record.revoked:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        grant = record.grant
        narrowed = _split_scopes(form.get("scope"))
        if narrowed:
            if not narrowed <= grant.scopes:
                raise OAuthError(400, "invalid_scope", "Some requested scopes were invalid.")
            grant = Grant(grant.client_id, grant.email, frozenset(narrowed))
        return self._new_access(grant, form.get("refresh_token"))

    def revoke(self, req: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        token = req.param("token") or form.get("token", "")
        record = self.state.refresh_tokens.get(token)
        if record is not None and not record.revoked:
            self.revoke_account(refresh_token=token)
            return Response.json(200, {})
        access = self.state.access_tokens.pop(token, None)
        if access is not None:
            if access.refresh_token:
                self.revoke_account(refresh_token=access.refresh_token)
            return Response.json(200, {})
        # unknown, expired or already revoked: Google answers the same 400
        raise OAuthError(400, "invalid_token", "Token expired or revoked")


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
