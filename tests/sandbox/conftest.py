"""Sandbox tests: every JSON answer a test receives is checked against the discovery schemas.

The ``sandbox`` / ``google_client`` fixtures come from ``tests.fixtures.sandbox`` (loaded by the
root conftest); here ``google_client`` is wrapped so each response is validated as it arrives and
the test fails at teardown if any answer broke Google's schema.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from tests.sandbox.discovery_schema import validate_response

USER = "ana@acme.test"


@pytest.fixture
def schema_violations():
    return []


BATCH_PATHS = {"/batch", "/batch/gmail/v1", "/batch/calendar/v3"}
CORRUPTING_FAULTS = {"truncate", "invalid_json"}


@pytest.fixture
def google_client(google_client, schema_violations, sandbox):
    """Every API answer must be JSON that fits its schema. The only exceptions: a 204 without a
    body, a batch (multipart; the batch tests read its parts), an OAuth page, and a body that a
    corruption fault broke -- counted against the request log, so an answer that is not JSON
    without an injected fault behind it is a violation, never silently skipped."""
    corrupted_seen: dict[str, int] = {}

    def injected_corruptions(path: str) -> int:
        return sum(1 for e in sandbox.requests() if e["path"] == path and e.get("fault") in CORRUPTING_FAULTS)

    def check(response):
        response.read()
        path, method = response.request.url.path, response.request.method
        where = f"{method} {response.request.url}"
        if path.startswith("/_sandbox/") or not path.startswith(("/gmail/", "/calendar/", "/batch")):
            return
        if response.status_code == 204:
            if response.content:
                schema_violations.append(f"{where}: 204 with a body")
            return
        if path in BATCH_PATHS and method == "POST" and response.status_code == 200:
            if not response.headers.get("content-type", "").startswith("multipart/mixed"):
                schema_violations.append(f"{where}: batch answer is not multipart/mixed")
            return
        try:
            body = json.loads(response.content)
        except ValueError:
            corrupted_seen[path] = corrupted_seen.get(path, 0) + 1
            if corrupted_seen[path] > injected_corruptions(path):
                schema_violations.append(f"{where}: body is not JSON and no fault corrupted it")
            return
        if "application/json" not in response.headers.get("content-type", ""):
            schema_violations.append(f"{where}: JSON body with content-type "
                                     f"{response.headers.get('content-type')!r}")
        for problem in validate_response(method, path, response.status_code, body):
            schema_violations.append(f"{where}: {problem}")

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
