"""The CRM's side of the web connect flow in tests: its backend creates a connect session
(`POST /connect/sessions` with the connect token), its user's browser redeems it and comes back
through our callback.

`Browser` keeps what a browser keeps for serve: its cookies. httpx's cookie jar never sends a
`Secure` cookie over plain http, which Chromium does on 127.0.0.1 (a potentially trustworthy
origin), so the Cookie header is written here.
"""

from __future__ import annotations

import httpx

from tests.serve.conftest import CONNECT_TOKEN


class Browser:
    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []  # every Set-Cookie header serve answered, as sent

    def get(self, url: str | httpx.URL, **params) -> httpx.Response:
        headers = {"cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        answer = httpx.get(url, params=params or None, headers=headers, follow_redirects=False, timeout=30)
        for header in answer.headers.get_list("set-cookie"):
            self.set_cookies.append(header)
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return answer


BROWSER = Browser()  # the CRM user's browser of the ordinary flows: one, as a person has


def create_session(server, provider: str, token: str | None = CONNECT_TOKEN, **fields) -> httpx.Response:
    """The CRM's backend asks for a connect session (201 {"url", "expires_at"}, or 4xx {"error"})."""
    body = {"provider": provider, **{k: v for k, v in fields.items() if v is not None}}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(server.url + "/connect/sessions", json=body, headers=headers, timeout=30)


def start(server, provider: str, browser: Browser = BROWSER, **fields) -> httpx.Response:
    """A session created, then redeemed by `browser`: its answer (302 to the consent page); the
    creation's answer when the CRM's request was refused."""
    created = create_session(server, provider, **fields)
    if created.status_code != 201:
        return created
    return browser.get(created.json()["url"])


def session_link(server, provider: str, **fields) -> str:
    """The URL the CRM sends its user's browser to (a fresh connect session)."""
    created = create_session(server, provider, **fields)
    assert created.status_code == 201, created.text
    return created.json()["url"]
