"""The Microsoft identity platform's v2.0 endpoints (OpenID discovery, authorize, token) for one
registered confidential client, consenting without a browser.

``/authorize`` grants what is asked for as the account in ``login_hint`` (created when unknown;
``consent_as`` overrides it) and redirects straight back with ``code`` and ``state``. The token
endpoint then behaves as Microsoft documents, because that is what msal and the project's refresh
code must survive: PKCE S256, ``refresh_token`` only with ``offline_access``, ``id_token`` only with
``openid`` (nonce echoed), ``client_info``, and a NEW refresh token on every refresh while the old
one stays valid until revoked.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from ..core.consent import ask
from ..core.tokens import Grant, TokenStore, bearer_token, client_credentials, pkce_s256, split_scopes
from ..core.wire import Request, Response
from . import scopes as graph_scopes
from .errors import IdentityError, unauthenticated

TENANT_ID = str(uuid.uuid5(uuid.NAMESPACE_URL, "https://sandbox.invalid/microsoft/tenant"))
ACCESS_PREFIX = "EwBsandbox-"
REFRESH_PREFIX = "M.C5sandbox-"
CODE_LIFETIME = 600.0
DEFAULT_ACCOUNT = "user@sandbox.test"


def user_oid(email: str) -> str:
    """A stable object id per account, as Entra ID gives every user."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"https://sandbox.invalid/microsoft/users/{email.lower()}"))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def microsoft_tokens(client_id: str, client_secret: str, access_token_lifetime: float = 3600.0,
                     clock=time.monotonic) -> TokenStore:
    return TokenStore(client_id, client_secret, access_token_lifetime, ACCESS_PREFIX, REFRESH_PREFIX, clock)


@dataclass
class AuthCode:
    grant: Grant
    redirect_uri: str
    challenge: str | None
    challenge_method: str | None
    nonce: str | None
    expires_at: float


class Identity:
    """``base_url()`` is the sandbox's https origin, read per request (the port is known once started)."""

    def __init__(self, tokens: TokenStore, ensure_account, base_url, clock=time.monotonic) -> None:
        self.tokens = tokens
        self.ensure_account = ensure_account
        self.base_url = base_url
        self.clock = clock
        self.codes: dict[str, AuthCode] = {}
        self.nonces: dict[str, str | None] = {}  # refresh token -> nonce of the consent it came from

    # -- Graph's side: who is calling ------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> Grant:
        token = bearer_token(authorization)
        if not token:
            raise unauthenticated("Access token is empty.")
        grant = self.tokens.lookup(token)
        if grant is None:
            if token in self.tokens.access_tokens:
                raise unauthenticated("Lifetime validation failed, the token is expired.")
            raise unauthenticated("IDX14100: JWT is not well formed, there are no dots (.).")
        return grant

    # -- discovery -------------------------------------------------------------------------------
    def openid_configuration(self, tenant: str) -> dict:
        base = self.base_url()
        issuer_tenant = TENANT_ID if tenant.lower() in ("common", "organizations", "consumers") else tenant
        return {
            "token_endpoint": f"{base}/{tenant}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{base}/{issuer_tenant}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/{tenant}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/{tenant}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "preferred_username", "name",
                                 "tid", "ver", "oid", "email"],
            "kerberos_endpoint": f"{base}/{tenant}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
        }

    # -- /authorize -----------------------------------------------------------------------------
    def authorize(self, req: Request, tenant: str) -> Response:
        client_id = req.param("client_id")
        redirect_uri = req.param("redirect_uri")
        if client_id != self.tokens.client_id:
            return _page(400, f"AADSTS700016: Application with identifier '{client_id}' was not found in the "
                              "directory.")
        if not redirect_uri:
            return _page(400, "AADSTS900144: The request body must contain the following parameter: "
                              "'redirect_uri'.")
        state = req.param("state")
        if req.param("response_type", "code") != "code":
            return Response.redirect(_with_query(redirect_uri, error="unsupported_response_type", state=state,
                                                 error_description="AADSTS70005: response_type is not supported."))
        requested = graph_scopes.normalize(split_scopes(req.param("scope")))
        if not requested:
            return Response.redirect(_with_query(redirect_uri, error="invalid_request", state=state,
                                                 error_description="AADSTS900144: The request body must "
                                                 "contain the following parameter: 'scope'."))
        challenge, method = req.param("code_challenge"), req.param("code_challenge_method")
        if challenge and (method or "plain") not in ("S256", "plain"):
            return Response.redirect(_with_query(redirect_uri, error="invalid_request", state=state,
                                                 error_description="AADSTS501491: Invalid code_challenge_method."))
        email = (self.tokens.consent_as or req.param("login_hint") or DEFAULT_ACCOUNT).strip().lower()
        asked = ask(req, self.tokens, provider="Microsoft", account=email, permissions=requested,
                    refused=lambda: Response.redirect(_with_query(
                        redirect_uri, error="access_denied", state=state,
                        error_description="AADSTS65004: User declined to consent to access the app.")))
        if asked is not None:
            return asked
        self.ensure_account(email)
        grant = Grant(client_id, email, frozenset(requested))
        self.tokens.grant_scopes(grant)
        code = "M.C5sandbox-code-" + secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(grant, redirect_uri, challenge, (method or "plain") if challenge else None,
                                    req.param("nonce"), self.clock() + CODE_LIFETIME)
        return Response.redirect(_with_query(redirect_uri, code=code, state=state,
                                             client_info=self.client_info(email),
                                             session_state=str(uuid.uuid4())))

    # -- /token ---------------------------------------------------------------------------------
    def token(self, req: Request, tenant: str) -> Response:
        form = {k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        client_id, secret = client_credentials(req.headers.get("authorization"), form)
        if client_id != self.tokens.client_id:
            raise IdentityError(400, "unauthorized_client", 700016,
                                f"Application with identifier '{client_id}' was not found in the directory.")
        if secret != self.tokens.client_secret:
            raise IdentityError(401, "invalid_client", 7000215, "Invalid client secret provided.")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return Response.json(200, self._exchange_code(form, tenant))
        if grant_type == "refresh_token":
            return Response.json(200, self._refresh(form, tenant))
        raise IdentityError(400, "unsupported_grant_type", 70003, f"The app requested an unsupported grant type "
                                                                  f"'{grant_type}'.")

    def _exchange_code(self, form: dict[str, str], tenant: str) -> dict:
        record = self.codes.pop(form.get("code", ""), None)
        if record is None or record.expires_at <= self.clock():
            raise IdentityError(400, "invalid_grant", 70000,
                                "The provided value for the 'code' parameter is not valid.")
        if record.redirect_uri != form.get("redirect_uri"):
            raise IdentityError(400, "invalid_grant", 50011, "The redirect URI specified in the request does not "
                                                            "match the redirect URIs configured for the application.")
        if record.challenge:
            verifier = form.get("code_verifier")
            if not verifier:
                raise IdentityError(400, "invalid_request", 50148,
                                    "The code_verifier does not match the code_challenge supplied in the "
                                    "authorization request for PKCE.")
            expected = pkce_s256(verifier) if record.challenge_method == "S256" else verifier
            if expected != record.challenge:
                raise IdentityError(400, "invalid_grant", 501481,
                                    "The Code_Verifier does not match the code_challenge supplied in the "
                                    "authorization request.")
        return self._answer(record.grant, tenant, record.nonce)

    def _refresh(self, form: dict[str, str], tenant: str) -> dict:
        token = form.get("refresh_token", "")
        record = self.tokens.refresh_tokens.get(token)
        if record is None:
            raise IdentityError(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
        if record.revoked:
            raise IdentityError(400, "invalid_grant", 50173, "The provided grant has expired due to it being "
                                                             "revoked, a fresh auth token is needed.")
        grant = record.grant
        asked = graph_scopes.normalize(split_scopes(form.get("scope")))
        if asked - graph_scopes.OIDC - grant.scopes:
            missing = " ".join(sorted(asked - graph_scopes.OIDC - grant.scopes))
            raise IdentityError(400, "invalid_grant", 65001, f"The user or administrator has not consented to use "
                                                             f"the application. Missing: {missing}.")
        return self._answer(grant, tenant, self.nonces.get(token))

    def _answer(self, grant: Grant, tenant: str, nonce: str | None) -> dict:
        """The token response: the access token always; refresh token with offline_access; id_token
        with openid; client_info always (msal caches the account from it)."""
        refresh = self.tokens.new_refresh(grant) if "offline_access" in grant.scopes else None
        answer = self.tokens.new_access(grant, refresh)
        answer["expires_in"] = max(int(self.tokens.access_token_lifetime) - 1, 0)
        answer["ext_expires_in"] = answer["expires_in"]
        if refresh:
            answer["refresh_token"] = refresh
            self.nonces[refresh] = nonce
        if "openid" in grant.scopes:
            answer["id_token"] = self.id_token(grant.email, tenant, nonce)
        answer["client_info"] = self.client_info(grant.email)
        return answer

    def client_info(self, email: str) -> str:
        return b64url(json.dumps({"uid": user_oid(email), "utid": TENANT_ID}).encode())

    def id_token(self, email: str, tenant: str, nonce: str | None) -> str:
        """A JWT whose claims msal reads; the signature is a placeholder (msal never checks it)."""
        now = int(time.time())
        claims = {
            "aud": self.tokens.client_id, "iss": f"{self.base_url()}/{TENANT_ID}/v2.0", "iat": now, "nbf": now,
            "exp": now + 3600, "name": email.split("@")[0].replace(".", " ").title(), "oid": user_oid(email),
            "preferred_username": email, "email": email, "sub": b64url(user_oid(email).encode())[:43],
            "tid": TENANT_ID, "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        header = {"typ": "JWT", "alg": "RS256", "kid": "sandbox"}
        return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()),
                         b64url(b"sandbox-signature")])


def _page(status: int, text: str) -> Response:
    return Response(status, text.encode(), [("Content-Type", "text/plain; charset=utf-8")])


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
