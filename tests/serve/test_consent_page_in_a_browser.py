"""A person connects an account from the CRM's page in a real headless Chromium, clicking what they
would click: the CRM's Connect link, then Allow (or Cancel) on the provider's consent page — the
sandboxes show one with `show_consent_page` — and lands back on the CRM's `return_to` page.

Playwright drives Debian's Chromium (`make chromium`); no browser is downloaded. Each test leaves
a screenshot of the consent page in its tmp dir.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest

from tests.serve import browser
from tests.serve.connect_flow import session_link
from tests.serve.test_connect_google import connections_of
from tests.serve.test_connect_in_a_browser import Crm
from tests.slack.conftest import new_team

pytestmark = pytest.mark.skipif(browser.chromium() is None, reason="no chromium: `make chromium` installs it")
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def person(crm_url, tmp_path):
    """A browser page of the CRM's UI, and what it took to get there."""
    crm = Crm(crm_url)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser.chromium(), args=["--no-sandbox"])
        try:
            yield chromium.new_page()
        finally:
            chromium.close()
            crm.close()


@pytest.fixture
def two_people(crm_url):
    """Two people, each in a browser of their own (two contexts: no cookie shared)."""
    crm = Crm(crm_url)
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser.chromium(), args=["--no-sandbox"])
        try:
            yield chromium.new_context().new_page(), chromium.new_context().new_page()
        finally:
            chromium.close()
            crm.close()


@pytest.fixture
def consent_pages(sandbox_server, slack_sandbox_server):
    for sandbox in (sandbox_server, slack_sandbox_server):
        sandbox.show_consent_page(True)
    yield
    for sandbox in (sandbox_server, slack_sandbox_server):
        sandbox.show_consent_page(False)


def click_through(page, crm_url: str, connect_url: str, button: str, screenshot) -> str:
    """From the CRM's page to its landing page: Connect, then `button` on the consent page.
    Returns what the landing page shows."""
    page.goto(f"{crm_url}/page?" + urlencode({"link": connect_url}))
    page.get_by_role("link", name="Connect").click()
    page.get_by_role("button", name=button).wait_for()
    page.screenshot(path=str(screenshot))
    consent = {"account": page.locator("#account").inner_text(),
               "permissions": page.locator("#permissions li").all_inner_texts()}
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{crm_url}/connected*")
    page.wait_for_function("document.getElementById('result').textContent !== 'waiting'")
    return page.locator("#result").inner_text(), consent


def test_a_person_allows_google_on_its_consent_page_and_lands_on_the_crm(
        server, crm_url, serve_db, person, consent_pages, tmp_path):
    tenant, ana = str(uuid.uuid4()), f"ana.{uuid.uuid4().hex[:8]}@tenant.example"
    link = session_link(server, "google", tenant_id=tenant, profile_id=str(uuid.uuid4()),
                        capabilities="sync_inbox_live", account_hint=ana, return_to=f"{crm_url}/connected")
    shown, consent = click_through(person, crm_url, link, "Allow", tmp_path / "google-consent.png")
    assert consent["account"] == ana  # the page says who is consenting, and to what
    assert consent["permissions"] == ["https://www.googleapis.com/auth/gmail.readonly"]
    [row] = connections_of(serve_db, tenant)
    assert shown == f"connected:{row['id']}" and row["account_id"] == ana
    assert (tmp_path / "google-consent.png").stat().st_size > 0


def test_a_person_who_cancels_on_googles_consent_page_is_told_and_nothing_is_stored(
        server, crm_url, serve_db, person, consent_pages, tmp_path):
    tenant = str(uuid.uuid4())
    link = session_link(server, "google", tenant_id=tenant, profile_id=str(uuid.uuid4()),
                        capabilities="sync_inbox_live", account_hint=f"ben.{uuid.uuid4().hex[:8]}@tenant.example",
                        return_to=f"{crm_url}/connected")
    shown, _ = click_through(person, crm_url, link, "Cancel", tmp_path / "google-cancel.png")
    assert shown == "error:consent_denied"
    assert connections_of(serve_db, tenant) == []


def test_a_tenant_admin_allows_the_slack_install_on_its_consent_page(
        server, crm_url, serve_db, person, consent_pages, tmp_path):
    tenant, team = str(uuid.uuid4()), new_team()
    link = session_link(server, "slack", tenant_id=tenant, capabilities="sync_channels_live", account_hint=team,
                        return_to=f"{crm_url}/connected")
    shown, consent = click_through(person, crm_url, link, "Allow", tmp_path / "slack-consent.png")
    assert consent["account"] == f"workspace {team}" and "channels:history" in consent["permissions"]
    [row] = connections_of(serve_db, tenant)
    assert shown == f"connected:{row['id']}" and (row["account_id"], row["profile_id"]) == (team, None)


def test_a_consent_url_completed_in_a_browser_that_never_started_the_flow_is_refused_and_stores_nothing(
        server, crm_url, serve_db, two_people, consent_pages, sandbox_server):
    """Hijacking: Mallory starts a connect for her own tenant naming Ana's mailbox and sends Ana the
    genuine consent URL; Ana's browser, which never visited /connect, allows it."""
    mallory, ana = two_people
    tenant, address = str(uuid.uuid4()), f"ana.{uuid.uuid4().hex[:8]}@victim.example"
    link = session_link(server, "google", tenant_id=tenant, profile_id=str(uuid.uuid4()),
                        capabilities="sync_inbox_live,send_email", account_hint=address,
                        return_to=f"{crm_url}/connected")
    mallory.goto(f"{crm_url}/page?" + urlencode({"link": link}))
    mallory.get_by_role("link", name="Connect").click()
    mallory.get_by_role("button", name="Allow").wait_for()
    consent_url = mallory.url  # Google's genuine consent page, for Mallory's pending state
    assert consent_url.startswith(sandbox_server.base_url)
    exchanges = sandbox_server.count_requests(path="token$")

    ana.goto(consent_url)
    ana.get_by_role("button", name="Allow").click()
    ana.wait_for_url(f"{server.url}/oauth/google/callback*")
    assert "not started in this browser" in ana.locator("body").inner_text()
    assert ana.context.cookies(server.url) == []  # Ana's browser never held the flow's cookie
    assert sandbox_server.count_requests(path="token$") == exchanges  # Ana's code was never exchanged
    assert connections_of(serve_db, tenant) == []
