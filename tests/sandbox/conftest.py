"""Sandbox tests: every JSON answer a test receives is checked against the discovery schemas.

The ``sandbox`` / ``google_client`` fixtures come from ``tests.fixtures.sandbox`` (loaded by the
root conftest); here ``google_client`` is wrapped so each response is validated as it arrives and
the test fails at teardown if any answer broke Google's schema.
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from tests.sandbox.discovery_schema import validate_response

USER = "ana@acme.test"


@pytest.fixture
def schema_violations():
    return []


@pytest.fixture
def google_client(google_client, schema_violations):
    def check(response):
        response.read()
        if response.request.url.path.startswith("/_sandbox/") or "json" not in \
                response.headers.get("content-type", ""):
            return
        try:
            body = json.loads(response.content)
        except ValueError:
            return  # injected corruption; the fault tests assert on it
        for problem in validate_response(response.request.method, response.request.url.path,
                                         response.status_code, body):
            schema_violations.append(f"{response.request.method} {response.request.url}: {problem}")

    def make(*args, **kwargs):
        client = google_client(*args, **kwargs)
        client.event_hooks["response"].append(check)
        return client

    yield make
    assert not schema_violations, "\n".join(schema_violations)


@pytest.fixture
def gmail(google_client):
    return google_client(USER)


def make_raw(subject="Hello", sender="Bob Stone <bob@client.example>", to=USER, body="Hi there",
             when=datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc), message_id="<m1@client.example>",
             **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    if message_id:
        msg["Message-ID"] = message_id
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()
