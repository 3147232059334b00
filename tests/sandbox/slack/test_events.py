"""Signed Events API requests, checked by slack_sdk's own ``SignatureVerifier`` and delivered over HTTP
to a receiver the test runs."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from slack_sdk.signature import SignatureVerifier


@pytest.fixture
def receiver():
    """A local Request URL that records what it receives and answers 200."""
    seen: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/slack/events", seen
    server.shutdown()
    server.server_close()


def test_event_requests_are_signed_with_the_signing_secret(slack_sandbox):
    sb = slack_sandbox
    body, headers = sb.event_request(sb.DEFAULT_TEAM, {"type": "message", "channel": "C0X", "text": "hi",
                                                       "ts": "1700000000.000100"})
    verifier = SignatureVerifier(sb.signing_secret)
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    payload = json.loads(body)
    assert payload["type"] == "event_callback" and payload["team_id"] == sb.DEFAULT_TEAM
    assert payload["event"]["text"] == "hi" and payload["event_id"].startswith("Ev")
    stale_body, stale = sb.event_request(sb.DEFAULT_TEAM, {"type": "message"}, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(stale_body, stale)  # outside slack_sdk's 5-minute window


def test_url_verification_and_delivery(slack_sandbox, receiver):
    sb = slack_sandbox
    url, seen = receiver
    body, headers, challenge = sb.url_verification_request()
    assert json.loads(body) == {"token": json.loads(body)["token"], "challenge": challenge, "type": "url_verification"}
    assert SignatureVerifier(sb.signing_secret).is_valid_request(body, headers)
    status, _ = sb.deliver_event(url, sb.DEFAULT_TEAM, {"type": "message", "text": "delivered"})
    assert status == 200
    received_headers, received_body = seen[0]
    assert json.loads(received_body)["event"]["text"] == "delivered"
    assert SignatureVerifier(sb.signing_secret).is_valid_request(received_body, received_headers)
