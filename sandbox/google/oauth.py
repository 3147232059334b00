"""Google's OAuth 2.0 endpoints for one registered client, consenting without a browser.

The authorization endpoint grants whatever is asked for, as the account named in ``login_hint``
(created if unknown; ``consent_as`` overrides it, as a person choosing another account would),
and redirects straight back; everything after that — PKCE S256, offline
refresh tokens, incremental scopes, expiring access tokens, ``invalid_grant`` after revocation — is
enforced as Google does, because that is what the project's connect and refresh code must survive.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from ..core.consent import ask
from ..core.errors import OAuthError
from ..core.tokens import Grant, TokenStore, bearer_token, client_credentials, pkce_s256, split_scopes
from ..core.wire import Request, Response
from .errors import auth_error

DEFAULT_ACCOUNT = "user@sandbox.test"
ACCESS_PREFIX = "ya29.sandbox-"  # Google's access tokens start with ya29., refresh tokens with 1//
REFRESH_PREFIX = "1//sandbox-"

__all__ = ["OAuth", "pkce_s256", "DEFAULT_ACCOUNT", "google_tokens"]


@dataclass
class AuthCode:
    grant: Grant
    redirect_uri: str
    offline: bool
    challenge: str | None
    challenge_method: str | None
    expires_at: float


def google_tokens(client_id: str, client_secret: str, access_token_lifetime: float = 3600.0,
                  clock=time.monotonic) -> TokenStore:
    """The core token store with Google's token look."""
    return TokenStore(client_id, client_secret, access_token_lifetime, ACCESS_PREFIX, REFRESH_PREFIX, clock)


class OAuth:
    """Google's authorization, token and revocation endpoints over the core ``TokenStore``.
    ``ensure_account`` is called for every consenting account."""

    def __init__(self, tokens: TokenStore, ensure_account, clock=time.monotonic) -> None:
        self.tokens = tokens
        self.ensure_account = ensure_account
        self.clock = clock
        self.codes: dict[str, AuthCode] = {}

    # -- checking ----------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Grant:
        token = bearer_token(authorization)
        if token is None:
            raise auth_error("Request is missing required authentication credential.")
        grant = self.tokens.lookup(token)
        if grant is None:
            raise auth_error()
        return grant

    # -- HTTP endpoints ----------------------------------------------------------------------
    def authorize(self, req: Request) -> Response:
        client_id = req.param("client_id")
        redirect_uri = req.param("redirect_uri")
        if client_id != self.tokens.client_id:
            return Response(401, b"Error 401: invalid_client\nThe OAuth client was not found.",
                            [("Content-Type", "text/plain; charset=utf-8")])
        if not redirect_uri:
            return Response(400, b"Error 400: invalid_request\nMissing required parameter: redirect_uri",
                            [("Content-Type", "text/plain; charset=utf-8")])
        state = req.param("state")
        if req.param("response_type", "code") != "code":
            return Response.redirect(_with_query(redirect_uri, error="unsupported_response_type", state=state))
        requested = split_scopes(req.param("scope"))
        if not requested:
            return Response.redirect(_with_query(redirect_uri, error="invalid_scope", state=state))
        method = req.param("code_challenge_method")
        challenge = req.param("code_challenge")
        if challenge and (method or "plain") not in ("S256", "plain"):
            return Response.redirect(_with_query(redirect_uri, error="invalid_request", state=state))
        email = (self.tokens.consent_as or req.param("login_hint") or DEFAULT_ACCOUNT).strip().lower()
        asked = ask(req, self.tokens, provider="Google", account=email, permissions=requested,
                    refused=lambda: Response.redirect(_with_query(redirect_uri, error="access_denied", state=state)))
        if asked is not None:
            return asked
        self.ensure_account(email)
        scopes = set(requested)
        if (req.param("include_granted_scopes") or "").lower() == "true":
            scopes |= self.tokens.granted.get((client_id, email), set())
        self.tokens.granted.setdefault((client_id, email), set()).update(scopes)
        code = "4/sandbox-" + secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(
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
        client_id, secret = client_credentials(req.headers.get("authorization"), form)
        if client_id != self.tokens.client_id or secret != self.tokens.client_secret:
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
        record = self.codes.pop(form.get("code", ""), None)
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
        refresh = self.tokens.new_refresh(record.grant) if record.offline else None
        answer = self.tokens.new_access(record.grant, refresh)
        if refresh:
            answer["refresh_token"] = refresh
        return answer

    def _refresh(self, form: dict[str, str]) -> dict:
        record = self.tokens.refresh_tokens.get(form.get("refresh_token", ""))
        if record is None:
            raise OAuthError(400, "invalid_grant", "Bad Request")
        if record.revoked:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        grant = record.grant
        narrowed = split_scopes(form.get("scope"))
        if narrowed:
            if not narrowed <= grant.scopes:
                raise OAuthError(400, "invalid_scope", "Some requested scopes were invalid.")
            grant = Grant(grant.client_id, grant.email, frozenset(narrowed))
        return self.tokens.new_access(grant, form.get("refresh_token"))

    def revoke(self, req: Request) -> Response:
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        token = req.param("token") or form.get("token", "")
        record = self.tokens.refresh_tokens.get(token)
        if record is not None and not record.revoked:
            self.tokens.revoke_account(refresh_token=token)
            return Response.json(200, {})
        access = self.tokens.access_tokens.pop(token, None)
        if access is not None:
            if access.refresh_token:
                self.tokens.revoke_account(refresh_token=access.refresh_token)
            return Response.json(200, {})
        # unknown, expired or already revoked: Google answers the same 400
        raise OAuthError(400, "invalid_token", "Token expired or revoked")


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=query))
