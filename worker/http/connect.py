"""The providers' two halves for the web connect flow, and `GET /oauth/{provider}/callback`.

The provider's own connect code does the work, in the same two halves the CLI uses (build the
consent URL; finish from the callback's query). The first half runs when the CRM creates a connect
session (worker/http/connect_sessions.py); this module finishes it: the signed single-use `state`
(worker/http/connect_state.py), the browser it is bound to (worker/http/browser_binding.py: any
other browser gets 403, and the state is burnt), and error codes the UI can show instead of a
page of ours:

    consent_denied  wrong_account  missing_scope  state_expired  state_used  connect_failed

A request we cannot send anywhere safely (bad input, a `return_to` not allowed, a state we did not
sign) is answered here with 400 and a plain sentence. Codes and tokens never reach a log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from worker.db.connect import session
from worker.errors import BadInput, IntegrationsError
from worker.http import browser_binding, connect_state
from worker.http.return_urls import allowed
from worker.settings import get_settings

log = logging.getLogger("worker.http.connect")


@dataclass(frozen=True)
class WebConnect:
    """A provider's two halves, as the web flow calls them.

    begin(database_url, settings, request: dict, redirect_uri, state) -> Consent (url, verifier, scopes)
    finish(database_url, settings, keyring, pending, query: dict, redirect_uri) -> connection row
    """

    begin: Callable
    finish: Callable
    errors: dict  # exception class -> error code


def _google() -> WebConnect:
    from worker.providers.google.auth import connect as google

    def begin(database_url, settings, request, redirect_uri, state):
        if not request["account_hint"]:
            raise BadInput("google needs account_hint: the address of the mailbox to connect")
        return google.begin_google(database_url, settings, tenant_id=request["tenant_id"],
                                   profile_id=request["profile_id"], account=request["account_hint"],
                                   capabilities=dict.fromkeys(request["capabilities"]),
                                   redirect_uri=redirect_uri, state=state)

    def finish(database_url, settings, keyring, pending, query, redirect_uri):
        return google.finish_google(database_url, settings, keyring, tenant_id=pending.tenant_id,
                                    profile_id=pending.profile_id, account=pending.account_hint,
                                    capabilities=dict.fromkeys(pending.capabilities), code=query["code"],
                                    verifier=pending.verifier, redirect_uri=redirect_uri, scopes=pending.scopes)

    return WebConnect(begin, finish, {google.WrongAccount: "wrong_account", google.MissingScope: "missing_scope"})


def _quickbooks() -> WebConnect:
    from worker.providers.quickbooks.auth import connect as quickbooks

    def begin(database_url, settings, request, redirect_uri, state):
        return quickbooks.begin_quickbooks(database_url, tenant_id=request["tenant_id"],
                                           profile_id=request["profile_id"], account=request["account_hint"],
                                           capabilities=dict.fromkeys(request["capabilities"]),
                                           redirect_uri=redirect_uri, state=state)

    def finish(database_url, settings, keyring, pending, query, redirect_uri):
        return quickbooks.finish_quickbooks(database_url, keyring, tenant_id=pending.tenant_id,
                                            account=pending.account_hint,
                                            capabilities=dict.fromkeys(pending.capabilities), answer=query,
                                            redirect_uri=redirect_uri)

    return WebConnect(begin, finish, {quickbooks.WrongCompany: "wrong_account"})


def _slack() -> WebConnect:
    from worker.providers.slack.auth import connect as slack

    def begin(database_url, settings, request, redirect_uri, state):
        return slack.begin_slack(database_url, tenant_id=request["tenant_id"], profile_id=request["profile_id"],
                                 account=request["account_hint"], capabilities=dict.fromkeys(request["capabilities"]),
                                 redirect_uri=redirect_uri, state=state)

    def finish(database_url, settings, keyring, pending, query, redirect_uri):
        return slack.finish_slack(database_url, keyring, tenant_id=pending.tenant_id, account=pending.account_hint,
                                  capabilities=dict.fromkeys(pending.capabilities), code=query["code"],
                                  verifier=pending.verifier, redirect_uri=redirect_uri, scopes=pending.scopes)

    return WebConnect(begin, finish, {slack.WrongWorkspace: "wrong_account"})


def _microsoft() -> WebConnect:
    from worker.providers.microsoft.auth import connect as microsoft

    def begin(database_url, settings, request, redirect_uri, state):
        if not request["account_hint"]:
            raise BadInput("microsoft needs account_hint: the address of the mailbox to connect")
        return microsoft.begin_microsoft(database_url, tenant_id=request["tenant_id"], profile_id=request["profile_id"],
                                         account=request["account_hint"],
                                         capabilities=dict.fromkeys(request["capabilities"]),
                                         redirect_uri=redirect_uri, state=state)

    def finish(database_url, settings, keyring, pending, query, redirect_uri):
        # msal's flow (kept encrypted as the state's verifier) checks the state and the id token's nonce
        return microsoft.finish_microsoft(database_url, keyring, tenant_id=pending.tenant_id,
                                          profile_id=pending.profile_id, account=pending.account_hint,
                                          capabilities=dict.fromkeys(pending.capabilities), answer=query,
                                          verifier=pending.verifier, scopes=pending.scopes)

    return WebConnect(begin, finish, {microsoft.WrongAccount: "wrong_account"})


WEB_CONNECTS: dict[str, Callable[[], WebConnect]] = {"google": _google, "microsoft": _microsoft,
                                                     "quickbooks": _quickbooks, "slack": _slack}
NO_OAUTH = {"twilio": "twilio has no OAuth consent: connect it with an API key "
                      "(`integrations connect twilio --help`)"}


def _with_query(url: str, **params) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)


OTHER_BROWSER = ("this sign-in was not started in this browser: nothing was connected. Start connecting again"
                 " from the application, in this browser (a sign-in link someone sent you is never needed)")


NO_COOKIE = (". This browser sent no connect cookie: browsers keep it only when this service is reached over"
             " https, or on localhost")


def _bad(message: str, status: int = 400) -> Response:
    return PlainTextResponse(message, status_code=status,
                             headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


def callback_url(public_url: str, provider: str) -> str:
    return f"{public_url}/oauth/{provider}/callback"


def begin(database_url: str, keyring, public_url: str, provider: str, asked: dict, return_to: str):
    """The provider's first half for a validated request: (signed state, consent). Nothing stored."""
    flow = WEB_CONNECTS[provider]()
    signed, token = connect_state.new(keyring, provider, return_to)
    consent = flow.begin(database_url, get_settings(), asked, callback_url(public_url, provider), token)
    return signed, consent


def callback_endpoint(service):
    async def endpoint(request: Request) -> Response:
        provider = request.path_params["provider"]
        if provider not in WEB_CONNECTS:
            return _bad(f"no web connect flow for provider {provider!r}", 404)
        query = dict(request.query_params)
        try:
            signed = connect_state.verify(service.keyring, query.get("state", ""))
        except connect_state.BadState:
            log.warning("%s callback with a state we did not sign: refused", provider)
            return _bad("this sign-in link is not valid: start connecting again from the application")
        if signed.provider != provider or not allowed(signed.return_to, service.settings.return_urls):
            return _bad("this sign-in link is not valid: start connecting again from the application")
        secret = browser_binding.presented(request, signed.nonce)
        try:
            code, connection_id = await run_in_threadpool(
                _finish, service, provider, signed, query, browser_binding.digest(secret) if secret else None)
        except connect_state.OtherBrowser:
            log.warning("%s callback from a browser that did not start its connect (%s): refused, state burnt",
                        provider, "another cookie" if secret else "no cookie")
            return _bad(OTHER_BROWSER + ("" if secret else NO_COOKIE), 403)
        back = {"provider": provider}
        if connection_id is not None:
            back["connection_id"] = connection_id
        if code is not None:
            back["error"] = code
        answer = RedirectResponse(_with_query(signed.return_to, **back), status_code=302,
                                  headers={"Cache-Control": "no-store"})
        browser_binding.clear_cookie(answer, signed.nonce)  # the flow is over: its binding goes
        return answer

    return endpoint


def _finish(service, provider: str, signed, query: dict, browser_hash: str | None) -> tuple[str | None, str | None]:
    """(error code, connection id), either may be None (both: a partial grant that was stored, as
    Slack's is). The state is used up whatever happens next. OtherBrowser: not the browser that
    started this connect (nothing exchanged, nothing stored)."""
    with session(service.database_url) as conn:
        pending = connect_state.take_bound(conn, service.keyring, signed, browser_hash)
    if pending is None:
        return "state_used", None
    if pending.expired:
        return "state_expired", None
    if "error" in query or "code" not in query:
        return ("consent_denied" if query.get("error", "access_denied") == "access_denied" else "connect_failed"), None
    flow = WEB_CONNECTS[provider]()
    try:
        row = flow.finish(service.database_url, get_settings(), service.keyring, pending, query,
                          callback_url(service.settings.public_url, provider))
    except tuple(flow.errors) as error:
        code = next(c for cls, c in flow.errors.items() if isinstance(error, cls))
        log.info("%s connect for tenant %s refused: %s", provider, pending.tenant_id, code)
        return code, None
    except IntegrationsError as error:
        log.warning("%s connect for tenant %s failed: %s", provider, pending.tenant_id, type(error).__name__)
        return "connect_failed", None
    if row.get("missing_scopes"):  # stored (what was granted works); the UI should say what is not
        return "missing_scope", str(row["id"])
    return None, str(row["id"])
