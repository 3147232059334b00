"""The connect flow in a real headless Chromium, as a CRM user goes through it: a page of the CRM
links to `/connect/{provider}`, the link is clicked, the browser follows the provider's consent and
our callback, and lands on the CRM's `return_to` page, which shows the connection id it was given.

The CRM is a small local HTTP server on the allowed `return_to` origin; it records the requests the
browser made, so the landing is checked both in the rendered page and on the CRM's side.
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
from tests.serve.test_connect_google import connections_of
from tests.serve.test_connect_quickbooks import new_realm

pytestmark = pytest.mark.skipif(browser.chromium() is None, reason="no chromium: `make chromium` installs it")

LANDING = """<!doctype html><title>Connected</title><p id="result">waiting</p><script>
const q = new URLSearchParams(location.search);
document.getElementById("result").textContent = q.get("error") ? "error:" + q.get("error")
  : "connected:" + q.get("connection_id");
</script>"""


class Crm:
    """The CRM's web UI: `/start?link=...` is a page whose button links to the connect URL (and is
    clicked by the page's own script, as a person would); `/connected` shows what it was sent."""

    def __init__(self, url: str) -> None:
        self.url, self.visits = url, []
        crm = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the stdlib's name
                crm.visits.append(self.path)
                if self.path.startswith("/start?"):
                    link = parse_qs(urlsplit(self.path).query)["link"][0]
                    body = (f'<!doctype html><a id="connect" href="{escape(link)}">Connect</a>'
                            '<script>document.getElementById("connect").click()</script>')
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

    def start_page(self, connect_url: str) -> str:
        return f"{self.url}/start?" + urlencode({"link": connect_url})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def crm(crm_url):
    running = Crm(crm_url)
    yield running
    running.close()


def click_through(crm: Crm, connect_url: str, tmp_path) -> str:
    """The rendered landing page's result line, after the browser went all the way."""
    dom = browser.dump_dom(crm.start_page(connect_url), tmp_path, extra=["--virtual-time-budget=15000"])
    found = re.search(r'<p id="result">([^<]*)</p>', dom)
    assert found, f"the browser did not land on the CRM's page: {dom[:500]}"
    return found.group(1)


def test_a_user_connects_google_from_the_crm_page(server, crm, serve_db, tmp_path):
    tenant, profile = str(uuid.uuid4()), str(uuid.uuid4())
    ana = f"ana.{uuid.uuid4().hex[:8]}@tenant.example"
    connect_url = f"{server.url}/connect/google?" + urlencode({
        "tenant_id": tenant, "profile_id": profile, "account_hint": ana, "capabilities": "sync_inbox_live",
        "return_to": f"{crm.url}/connected"})
    result = click_through(crm, connect_url, tmp_path)
    [row] = connections_of(serve_db, tenant)
    assert result == f"connected:{row['id']}"
    assert f"/connected?provider=google&connection_id={row['id']}" in crm.visits
    assert row["account_id"] == ana


def test_a_tenant_admin_connects_quickbooks_from_the_crm_page(server, crm, serve_db, tmp_path):
    tenant, realm = str(uuid.uuid4()), new_realm()
    connect_url = f"{server.url}/connect/quickbooks?" + urlencode({
        "tenant_id": tenant, "account_hint": realm, "capabilities": "sync_accounting_live",
        "return_to": f"{crm.url}/connected"})
    result = click_through(crm, connect_url, tmp_path)
    [row] = connections_of(serve_db, tenant)
    assert result == f"connected:{row['id']}"
    assert (row["account_id"], row["profile_id"]) == (realm, None)
