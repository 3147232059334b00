"""Graph's validation handshake (`POST /webhooks/microsoft?validationToken=...`) echoes the token
as text/plain: never sniffed as HTML by a browser sent there, and never longer than Graph's own."""

from __future__ import annotations

import httpx

PATH = "/webhooks/microsoft"


def test_the_echoed_token_is_never_sniffed_as_html(server):
    script = "<html><script>alert(document.cookie)</script></html>"
    answer = httpx.post(server.url + PATH, params={"validationToken": script}, timeout=10)
    assert (answer.status_code, answer.text) == (200, script)
    assert answer.headers["content-type"].startswith("text/plain")
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_token_longer_than_graphs_is_refused_without_being_echoed(server):
    graphs = "Validation: Testing client application reachability for subscription Request-Id: " + "0" * 36
    assert httpx.post(server.url + PATH, params={"validationToken": graphs}, timeout=10).text == graphs
    answer = httpx.post(server.url + PATH, params={"validationToken": "A" * 4000}, timeout=10)
    assert answer.status_code == 400 and "A" * 100 not in answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
