"""Only the CRM starts a connect, and its callback completes only in the browser that started it
(DESIGN.md invariant 6).

The CRM's backend creates a connect session (`POST /connect/sessions`, the connect token); the
browser it sends there redeems it once, gets the `__Host-` cookie its state is bound to, and only a
callback carrying that cookie is finished. Each refusal here stores nothing and exchanges no code.
"""

from __future__ import annotations

import hashlib
import uuid

import httpx

from tests.serve import connect_flow
from tests.serve.connect_flow import Browser, create_session, session_link
from tests.serve.test_connect_google import account, back, connections_of, consent, rows


def google_session(crm_url, tenant=None, hint=None) -> dict:
    return {"tenant_id": tenant or str(uuid.uuid4()), "profile_id": str(uuid.uuid4()),
            "account_hint": hint or account(), "capabilities": "sync_inbox_live", "return_to": f"{crm_url}/connected"}


def states_of(db: str, tenant: str) -> list[dict]:
    return rows(db, "select * from integrations.oauth_states where tenant_id = %s", tenant)


def token_exchanges(sandbox) -> int:
    return sandbox.count_requests(path="token$")


def test_the_query_string_form_is_refused_and_plants_nothing(server, crm_url, serve_db):
    """Planting: anyone naming the victim's tenant and profile in the URL, as the flow once took."""
    victim = google_session(crm_url, hint="mallory@evil.example")
    answer = httpx.get(server.url + "/connect/google", params=victim, follow_redirects=False, timeout=10)
    assert answer.status_code == 401 and "location" not in answer.headers
    assert "POST /connect/sessions" in answer.text
    assert states_of(serve_db, victim["tenant_id"]) == [] and connections_of(serve_db, victim["tenant_id"]) == []


def test_creating_a_session_needs_the_connect_token(server, crm_url, serve_db):
    asked = google_session(crm_url)
    missing = create_session(server, "google", token=None, **asked)
    assert missing.status_code == 401 and "url" not in missing.text
    wrong = create_session(server, "google", token="connect-token-for-the-serve-tests-0123456780", **asked)
    assert wrong.status_code == 403
    assert states_of(serve_db, asked["tenant_id"]) == []


def test_a_session_is_redeemed_once_and_its_id_is_kept_only_as_a_hash(server, crm_url, serve_db):
    asked = google_session(crm_url)
    created = create_session(server, "google", **asked)
    assert created.status_code == 201, created.text
    url = httpx.URL(created.json()["url"])
    assert str(url).startswith(server.url + "/connect/google?session=")
    session = url.params["session"]
    [stored] = rows(serve_db, "select * from integrations.connect_sessions where session_hash = %s",
                    hashlib.sha256(session.encode()).hexdigest())
    assert session not in str(stored) and stored["redeemed_at"] is None
    assert (stored["expires_at"] - stored["created_at"]).total_seconds() == 300

    first = Browser().get(url)
    assert first.status_code == 302 and httpx.URL(first.headers["location"]).params["login_hint"] == asked["account_hint"]
    again = Browser().get(url)
    assert again.status_code == 410 and "location" not in again.headers and "used" in again.text
    assert len(states_of(serve_db, asked["tenant_id"])) == 1


def test_a_forged_expired_or_other_providers_session_is_refused(server, crm_url, serve_db):
    forged = Browser().get(server.url + "/connect/google", session="x" * 43)
    assert forged.status_code == 403 and "location" not in forged.headers and not forged.headers.get_list("set-cookie")

    asked = google_session(crm_url)
    url = httpx.URL(create_session(server, "google", **asked).json()["url"])
    elsewhere = Browser().get(server.url + "/connect/slack", session=url.params["session"])
    assert elsewhere.status_code == 403 and "location" not in elsewhere.headers

    rows(serve_db, "update integrations.connect_sessions set expires_at = now() - interval '1 second'"
                   " where session_hash = %s returning 1", hashlib.sha256(url.params["session"].encode()).hexdigest())
    expired = Browser().get(url)
    assert expired.status_code == 410 and "expired" in expired.text and "location" not in expired.headers


def test_the_browser_cookie_is_host_prefixed_secure_http_only_and_lax(server, crm_url):
    browser = Browser()
    assert connect_flow.start(server, "google", browser, **google_session(crm_url)).status_code == 302
    [cookie] = browser.set_cookies
    name, _, attributes = cookie.partition("=")
    assert name.startswith("__Host-integrations-connect-")
    flags = {a.strip().split("=")[0].lower(): a.strip() for a in attributes.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= set(flags) and "domain" not in flags
    assert flags["path"] == "Path=/" and flags["samesite"].lower() == "samesite=lax"


def test_a_callback_in_a_browser_that_did_not_start_the_flow_is_refused_and_stores_nothing(
        server, crm_url, serve_db, sandbox_server):
    """Hijacking: the attacker's own session, its genuine consent URL completed by someone else: a
    browser without our cookie, or with the cookie of a flow of its own."""
    with_a_flow_of_its_own = Browser()
    connect_flow.start(server, "google", with_a_flow_of_its_own, **google_session(crm_url))
    for victim in (Browser(), with_a_flow_of_its_own):
        asked = google_session(crm_url)
        attacker = Browser()
        callback = consent(connect_flow.start(server, "google", attacker, **asked).headers["location"])
        exchanges = token_exchanges(sandbox_server)

        refused = victim.get(callback)
        assert refused.status_code == 403 and "location" not in refused.headers
        assert "not started in this browser" in refused.text
        assert token_exchanges(sandbox_server) == exchanges  # the code was never exchanged
        assert connections_of(serve_db, asked["tenant_id"]) == []
        # the refusal burnt the state: even the browser that started it can no longer use that code
        assert states_of(serve_db, asked["tenant_id"]) == []
        assert back(callback, attacker).params["error"] == "state_used"
        assert connections_of(serve_db, asked["tenant_id"]) == []


def test_two_flows_started_in_one_browser_both_complete(server, crm_url, serve_db, sandbox_server):
    browser, exchanges = Browser(), token_exchanges(sandbox_server)
    first, second = google_session(crm_url), google_session(crm_url)
    callbacks = [consent(connect_flow.start(server, "google", browser, **asked).headers["location"])
                 for asked in (first, second)]
    for asked, callback in zip((first, second), callbacks):
        landed = back(callback, browser)
        [row] = connections_of(serve_db, asked["tenant_id"])
        assert landed.params["connection_id"] == str(row["id"])
    assert token_exchanges(sandbox_server) == exchanges + 2  # (what the refusals above are counted by)


def test_two_flows_redeemed_at_once_in_one_browser_both_complete(server, crm_url, serve_db):
    """Two tabs (or two frames of one CRM page) redeem their sessions before either answer's cookie
    is stored: neither request carries the other's cookie. Both bindings must survive in the one
    browser (a cookie shared by the browser's flows was overwritten by the later answer)."""
    browser = Browser()
    first, second = google_session(crm_url), google_session(crm_url)
    links = [session_link(server, "google", **asked) for asked in (first, second)]
    answers = [Browser().get(link) for link in links]  # at once: each sent with the cookies held before
    for answer in answers:  # then the browser stores both answers' cookies, in order
        for header in answer.headers.get_list("set-cookie"):
            name, _, rest = header.partition("=")
            browser.cookies[name.strip()] = rest.split(";", 1)[0]
    for asked, answer in zip((first, second), answers):
        landed = back(consent(answer.headers["location"]), browser)
        [row] = connections_of(serve_db, asked["tenant_id"])
        assert landed.params["connection_id"] == str(row["id"])


def test_the_crms_python_client_creates_a_session(server, crm_url, serve_db, in_env):
    from worker.http.connect_sessions import create_connect_session

    asked = google_session(crm_url)
    created = create_connect_session(provider="google", tenant_id=asked["tenant_id"], profile_id=asked["profile_id"],
                                     capabilities=["sync_inbox_live"], account_hint=asked["account_hint"],
                                     return_to=asked["return_to"])
    assert created.url.startswith(server.url + "/connect/google?session=")
    browser = Browser()
    landed = back(consent(browser.get(created.url).headers["location"]), browser)
    [row] = connections_of(serve_db, asked["tenant_id"])
    assert landed.params["connection_id"] == str(row["id"]) and row["account_id"] == asked["account_hint"]
