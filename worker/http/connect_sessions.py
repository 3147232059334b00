"""Connect sessions: only the CRM starts a connect (DESIGN.md invariant 6).

The CRM's backend asks for one, authenticated: `POST /connect/sessions` with
`Authorization: Bearer $INTEGRATIONS_CONNECT_TOKEN` (unset: the endpoint is off, never open), or
`create_connect_session(...)` in a process that embeds the package. The request (provider,
tenant_id, profile_id, capabilities, account_hint, return_to) is validated and the provider's
consent built then, so a bad request is the CRM's error, answered to the CRM. The answer is a URL,
`/connect/{provider}?session=<random>`, good once for SESSION_TTL_SECONDS; only a sha256 of the
session id is stored (integrations.connect_sessions).

The CRM sends its user's browser there. `GET /connect/{provider}?session=` redeems the session:
the pending state is bound to the browser's `__Host-` cookie (worker/http/browser_binding.py) and
the browser goes on to the consent. Without a session (the old `?tenant_id=` form included),
with a forged, expired or used one, nothing is stored and nothing is revealed about the tenant.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from worker.db.connect import session
from worker.errors import BadInput
from worker.http import browser_binding, connect_state
from worker.http.connect import NO_OAUTH, WEB_CONNECTS, _bad, begin
from worker.http.return_urls import allowed
from worker.store import query

log = logging.getLogger("worker.http.connect")
SESSION_TTL_SECONDS = 300
FIELDS = {"provider", "tenant_id", "profile_id", "capabilities", "account_hint", "return_to"}
NO_SESSION = ("connect needs a connect session: the CRM's backend creates one (POST /connect/sessions with its"
              " connect token) and sends the browser to the URL it answers")


@dataclass(frozen=True)
class ConnectSession:
    url: str  # where the CRM sends its user's browser, once
    expires_at: datetime


def _text(fields: dict, name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadInput(f"{name} must be a string")
    return value.strip() or None


def _uuid(fields: dict, name: str, required: bool) -> str | None:
    value = _text(fields, name)
    if value is None:
        if required:
            raise BadInput(f"{name} is required")
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise BadInput(f"{name} must be a UUID") from None


def _capabilities(value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise BadInput("capabilities must be a list of names (or one comma-separated string)")
    names = sorted({c.strip() for c in value if c.strip()})
    if not names:
        raise BadInput("capabilities is required (e.g. [\"sync_inbox_live\", \"send_email\"])")
    return names


def validate(fields: dict, return_urls: tuple[str, ...]) -> tuple[str, dict, str]:
    """(provider, request for the provider's first half, return_to), or BadInput saying what is wrong.
    The provider's own first half then checks ownership (profile required for user-owned
    providers, refused for tenant-owned ones), capabilities and account_hint."""
    unknown = set(fields) - FIELDS
    if unknown:
        raise BadInput(f"unknown fields: {', '.join(sorted(unknown))} (expected: {', '.join(sorted(FIELDS))})")
    provider = _text(fields, "provider") or ""
    if provider in NO_OAUTH:
        raise BadInput(NO_OAUTH[provider])
    if provider not in WEB_CONNECTS:
        raise BadInput(f"no web connect flow for provider {provider!r}")
    return_to = _text(fields, "return_to") or ""
    if not allowed(return_to, return_urls):
        raise BadInput("return_to is not an allowed URL (INTEGRATIONS_ALLOWED_RETURN_URLS)")
    asked = {"tenant_id": _uuid(fields, "tenant_id", True), "profile_id": _uuid(fields, "profile_id", False),
             "account_hint": _text(fields, "account_hint"), "capabilities": _capabilities(fields.get("capabilities"))}
    return provider, asked, return_to


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create(database_url: str, keyring, public_url: str, return_urls: tuple[str, ...], fields: dict) -> ConnectSession:
    """Validate, build the consent, store its pending state and the session (one transaction)."""
    provider, asked, return_to = validate(fields, return_urls)
    signed, consent = begin(database_url, keyring, public_url, provider, asked, return_to)
    session_id = secrets.token_urlsafe(32)
    with session(database_url) as conn:
        connect_state.store(conn, keyring, signed, tenant_id=asked["tenant_id"], profile_id=asked["profile_id"],
                            account_hint=asked["account_hint"], capabilities=asked["capabilities"],
                            scopes=consent.scopes, verifier=consent.verifier)
        row = conn.execute(query("connect_sessions.insert"), {
            "session_hash": _digest(session_id), "state_nonce": signed.nonce, "provider": provider,
            "consent_url": consent.url, "ttl_seconds": SESSION_TTL_SECONDS}).fetchone()
    return ConnectSession(f"{public_url}/connect/{provider}?session={session_id}", row["expires_at"])


def create_connect_session(*, provider: str, tenant_id, capabilities: list[str] | str, return_to: str,
                           profile_id=None, account_hint: str | None = None,
                           database_url: str | None = None) -> ConnectSession:
    """The Python client of a CRM that embeds the package (what `POST /connect/sessions` does).

    Reads the same settings as `serve` (INTEGRATIONS_PUBLIC_URL, INTEGRATIONS_ALLOWED_RETURN_URLS,
    the database and its keyring). Raises BadInput for a request the CRM should not have made.
    """
    from worker.crypto import database_keyring
    from worker.db.url import resolve_database_url
    from worker.http.settings import serve_settings
    from worker.settings import get_settings

    config, cfg = serve_settings(), get_settings()
    url = database_url or resolve_database_url(cfg)
    with session(url) as conn:
        keyring = database_keyring(cfg, conn)
    fields = {"provider": provider, "tenant_id": str(tenant_id), "return_to": return_to,
              "capabilities": [capabilities] if isinstance(capabilities, str) else list(capabilities),
              "profile_id": str(profile_id) if profile_id is not None else None, "account_hint": account_hint}
    return create(url, keyring, config.public_url, config.return_urls, fields)


def _json_error(message: str, status: int, **headers) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers={"Cache-Control": "no-store", **headers})


def connect_allowed(service, request: Request) -> bool:
    """`Authorization: Bearer <INTEGRATIONS_CONNECT_TOKEN>` (constant-time compare)."""
    token = service.settings.connect_token
    given = request.headers.get("authorization", "")
    if token is None or not given.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(given[7:].strip().encode(), token.get_secret_value().encode())


def sessions_endpoint(service):
    """`POST /connect/sessions`: the CRM's backend asks for a connect; 201 {"url", "expires_at"}."""

    async def endpoint(request: Request) -> Response:
        if service.settings.connect_token is None:
            return _json_error("the connect API is off: set INTEGRATIONS_CONNECT_TOKEN (the CRM's backend sends it"
                               " as a bearer token)", 404)
        if not request.headers.get("authorization", "").lower().startswith("bearer "):
            return _json_error("connect token required (Authorization: Bearer ...)", 401,
                               **{"WWW-Authenticate": 'Bearer realm="integrations-connect"'})
        if not connect_allowed(service, request):
            log.warning("POST /connect/sessions with a wrong connect token: refused")
            return _json_error("wrong connect token", 403)
        try:
            fields = await request.json()
        except ValueError:
            return _json_error("the body must be a JSON object", 400)
        if not isinstance(fields, dict):
            return _json_error("the body must be a JSON object", 400)
        try:
            created = await run_in_threadpool(create, service.database_url, service.keyring,
                                              service.settings.public_url, service.settings.return_urls, fields)
        except BadInput as error:
            return _json_error(str(error), 400)
        return JSONResponse({"url": created.url, "expires_at": created.expires_at.isoformat()}, status_code=201,
                            headers={"Cache-Control": "no-store"})

    return endpoint


def _redeem(database_url: str, provider: str, session_id: str, browser_hash: str) -> tuple[str | None, str]:
    """(consent URL, "") once; (None, why) after: "unknown", "expired" or "used"."""
    key = {"session_hash": _digest(session_id), "provider": provider}
    with session(database_url) as conn:
        row = conn.execute(query("connect_sessions.redeem"), {**key, "browser_hash": browser_hash}).fetchone()
        if row is not None:
            return row["consent_url"], ""
        why = conn.execute(query("connect_sessions.why_not"), key).fetchone()
    if why is None:
        return None, "unknown"
    return None, "used" if why["used"] else "expired"


REFUSED = {
    "unknown": (403, "this connect link is not valid: start connecting again from the application"),
    "expired": (410, "this connect link has expired: start connecting again from the application"),
    "used": (410, "this connect link was used already: start connecting again from the application"),
}


def connect_endpoint(service):
    """`GET /connect/{provider}?session=...`: the browser the CRM sent redeems its session."""

    async def endpoint(request: Request) -> Response:
        provider = request.path_params["provider"]
        if provider in NO_OAUTH:
            return _bad(NO_OAUTH[provider])
        if provider not in WEB_CONNECTS:
            return _bad(f"no web connect flow for provider {provider!r}", 404)
        session_id = request.query_params.get("session", "")
        if not session_id:
            return _bad(NO_SESSION, 401)
        if len(session_id) > 128:
            return _bad(REFUSED["unknown"][1], 403)
        secret = browser_binding.new_secret()
        consent_url, why = await run_in_threadpool(_redeem, service.database_url, provider, session_id,
                                                   browser_binding.digest(secret))
        if consent_url is None:
            log.warning("%s connect with a session that is %s: refused", provider, why)
            status, message = REFUSED[why]
            return _bad(message, status)
        answer = RedirectResponse(consent_url, status_code=302,
                                  headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        nonce = connect_state.verify(service.keyring, browser_binding.state_of(consent_url)).nonce
        browser_binding.set_cookie(answer, nonce, secret, connect_state.TTL_SECONDS)
        return answer

    return endpoint
