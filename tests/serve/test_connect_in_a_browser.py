"""The connect flow in a real headless Chromium, as a CRM user goes through it: a page of the CRM
links to a connect session its backend created (`/connect/{provider}?session=...`), the link is
clicked, the browser follows the provider's consent and our callback, and lands on the CRM's
`return_to` page, which shows the connection id it was given.

The CRM is a small local HTTP server on the allowed `return_to` origin; it records the requests the
browser made, so the landing is checked both in the rendered page and on the CRM's side. One
Chromium serves the module: each flow runs in a frame of one CRM page.
"""

from __future__ import annotations

import re
import threading
import uuid
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.serve import browser
from tests.serve.connect_flow import session_link
from tests.serve.test_connect_google import connections_of
from tests.serve.test_connect_quickbooks import new_realm

pytestmark = pytest.mark.skipif(browser.chromium() is None, reason="no chromium: `make chromium` installs it")

LANDING = """<!doctype html><title>Connected</title><p id="result">waiting</p><script>
const q = new URLSearchParams(location.search);
const shown = q.get("error") ? "error:" + q.get("error") : "connected:" + q.get("connection_id");
document.getElementById("result").textContent = shown;
if (parent !== window) parent.document.getElementById(q.get("provider")).textContent = shown;
</script>"""


def frames_page(links: dict[str, str]) -> str:
    """One page holding each flow in a frame of its own: one browser goes through them all."""
    rows = "".join(f'<p id="{name}">waiting</p><iframe width="300" height="100" src="/start?{urlencode({"link": link})}">'
                   "</iframe>" for name, link in links.items())
    return f"<!doctype html><title>CRM</title>{rows}"


class Crm:
    """The CRM's web UI: `/start?link=...` is a page whose button links to the connect URL (and is
    clicked by the page's own script, as a person would); `/page?link=...` the same page left for a
    person to click; `/connected` shows what it was sent."""

    def __init__(self, url: str) -> None:
        self.url, self.visits = url, []
        crm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                crm.visits.append(self.path)
                query = parse_qs(urlsplit(self.path).query)
                if self.path.startswith("/frames?"):
                    body = frames_page({name: values[0] for name, values in query.items()})
                elif self.path.startswith("/start?"):
                    link = query["link"][0]
                    body = (f'<!doctype html><a id="connect" href="{escape(link)}">Connect</a>'
                            '<script>document.getElementById("connect").click()</script>')
                elif self.path.startswith("/page?"):  # a person clicks this one
                    body = f'<!doctype html><title>CRM</title><a href="{escape(query["link"][0])}">Connect</a>'
                else:
                    body = LANDING
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        port = int(url.rsplit(":", 1)[1])
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def went_through(server, crm_url) -> dict:
    """One headless Chromium for the module: a CRM page whose frames each click a Connect link
    (Google for a user, QuickBooks for the tenant) and land on `return_to`; what the page then shows,
    the CRM's request log, and each flow's tenant and account."""
    crm = Crm(crm_url)
    google = {"tenant_id": str(uuid.uuid4()), "profile_id": str(uuid.uuid4()), "capabilities": "sync_inbox_live",
              "account_hint": f"ana.{uuid.uuid4().hex[:8]}@tenant.example", "return_to": f"{crm_url}/connected"}
    quickbooks = {"tenant_id": str(uuid.uuid4()), "account_hint": new_realm(),
                  "capabilities": "sync_accounting_live", "return_to": f"{crm_url}/connected"}
    links = {"google": session_link(server, "google", **google),  # the CRM's backend asked for these
             "quickbooks": session_link(server, "quickbooks", **quickbooks)}
    sync_api = pytest.importorskip("playwright.sync_api")
    try:  # Playwright waits until both frames landed, however loaded the machine
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=browser.chromium(), args=["--no-sandbox"])
            try:
                page = chromium.new_page()
                page.goto(f"{crm_url}/frames?" + urlencode(links))
                page.wait_for_function("() => ['google', 'quickbooks'].every("
                                       "id => document.getElementById(id).textContent !== 'waiting')", timeout=60_000)
                dom = page.content()
            finally:
                chromium.close()
    finally:
        crm.close()
    shown = dict(re.findall(r'<p id="(google|quickbooks)">([^<]*)</p>', dom))
    return {"shown": shown, "visits": crm.visits, "google": google, "quickbooks": quickbooks}


def test_a_user_connects_google_from_the_crm_page(went_through, serve_db):
    asked = went_through["google"]
    [row] = connections_of(serve_db, asked["tenant_id"])
    assert went_through["shown"]["google"] == f"connected:{row['id']}"  # the landing page, as rendered
    assert f"/connected?provider=google&connection_id={row['id']}" in went_through["visits"]
    assert (row["account_id"], str(row["profile_id"])) == (asked["account_hint"], asked["profile_id"])


def test_a_tenant_admin_connects_quickbooks_from_the_crm_page(went_through, serve_db):
    asked = went_through["quickbooks"]
    [row] = connections_of(serve_db, asked["tenant_id"])
    assert went_through["shown"]["quickbooks"] == f"connected:{row['id']}"
    assert f"/connected?provider=quickbooks&connection_id={row['id']}" in went_through["visits"]
    assert (row["account_id"], row["profile_id"]) == (asked["account_hint"], None)
