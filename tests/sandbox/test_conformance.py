"""Conformance with Google's discovery documents (the copies google-api-python-client ships).

Every JSON answer in this package is schema-checked by the ``google_client`` hook (conftest);
here: the served methods, paths, scopes and parameters match the documents, the validator itself
catches what it should, and every shape the generator produces validates.
"""

from __future__ import annotations

import json
from pathlib import Path

import googleapiclient
import pytest

from sandbox.core.wire import Request
from sandbox.google import spec
from tests.sandbox.conftest import USER
from tests.sandbox.discovery_schema import validate, validate_response

SHIPPED = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def shipped(service: str) -> dict:
    return json.loads((SHIPPED / spec.DOCUMENTS[service]).read_text())


def served(sandbox):
    return sandbox.app.served_methods()


def test_served_methods_match_the_shipped_discovery_documents(sandbox):
    for method in served(sandbox):
        doc = shipped(method.service)
        resources = doc["resources"]
        found = None

        def walk(res):
            for r in res.values():
                yield from r.get("methods", {}).values()
                yield from walk(r.get("resources", {}))
        for candidate in walk(resources):
            if candidate["id"] == method.id:
                found = candidate
        assert found is not None, method.id
        assert method.http_method == found["httpMethod"]
        assert method.path == "/" + doc["servicePath"] + found.get("flatPath", found["path"])
        assert set(method.scopes) == set(found.get("scopes", []))
        assert set(method.parameters) == set(doc.get("parameters", {})) | set(found.get("parameters", {}))


def test_the_methods_our_sync_needs_are_served(sandbox):
    ids = {m.id for m in served(sandbox)}
    assert {
        "gmail.users.getProfile", "gmail.users.messages.list", "gmail.users.messages.get",
        "gmail.users.messages.attachments.get", "gmail.users.history.list", "gmail.users.messages.send",
        "gmail.users.drafts.create", "gmail.users.drafts.send", "gmail.users.labels.list",
        "calendar.calendarList.list", "calendar.events.list", "calendar.events.get", "calendar.events.insert",
        "calendar.events.patch", "calendar.events.update", "calendar.events.delete", "calendar.events.instances",
    } <= ids


def test_reading_a_parameter_outside_the_document_is_refused():
    req = Request("GET", "/x", {"bogus": ["1"]}, allowed=frozenset({"format"}))
    assert req.param("format") is None
    with pytest.raises(AssertionError):
        req.param("bogus")


def test_batch_path_matches_the_document():
    assert shipped("gmail")["batchPath"] == "batch"
    assert shipped("calendar")["batchPath"] == "batch/calendar/v3"


def test_validator_rejects_unknown_properties_and_wrong_types():
    schemas = spec.schemas("gmail")
    ok = {"id": "1", "threadId": "1", "labelIds": ["INBOX"], "historyId": "5", "internalDate": "123"}
    assert validate(ok, {"$ref": "Message"}, schemas) == []
    assert validate({**ok, "invented": 1}, {"$ref": "Message"}, schemas)
    assert validate({**ok, "historyId": 5}, {"$ref": "Message"}, schemas)
    assert validate({**ok, "internalDate": "yesterday"}, {"$ref": "Message"}, schemas)
    assert validate_response("GET", "/gmail/v1/users/me/profile", 200, {"emailAddress": "a", "x": 1})
    assert validate_response("GET", "/gmail/v1/users/me/profile", 500, {"error": {"code": 500}})


def test_every_generated_message_and_event_validates(sandbox, google_client):
    sandbox.generate([USER, "ben@acme.test"], messages=40, events=10)
    client = google_client(USER)
    ids = sandbox.message_ids(USER)
    for message_id in ids:
        for fmt in ("full", "raw", "minimal", "metadata"):
            assert client.get(f"/gmail/v1/users/me/messages/{message_id}", params={"format": fmt}).status_code == 200
        for part in _parts(sandbox.get_message(USER, message_id)["payload"]):
            if "attachmentId" in part["body"]:
                assert client.get(f"/gmail/v1/users/me/messages/{message_id}/attachments/"
                                  f"{part['body']['attachmentId']}").status_code == 200
    assert client.get("/gmail/v1/users/me/history", params={"startHistoryId": 1000}).status_code == 200
    assert client.get("/gmail/v1/users/me/labels").status_code == 200
    for single in ("true", "false"):
        answer = client.get("/calendar/v3/calendars/primary/events",
                            params={"singleEvents": single, "showDeleted": "true", "maxResults": 2500})
        assert answer.status_code == 200
        for event in answer.json()["items"]:
            assert client.get(f"/calendar/v3/calendars/primary/events/{event['id']}").status_code == 200
            if event.get("recurrence"):
                assert client.get(f"/calendar/v3/calendars/primary/events/{event['id']}/instances").status_code == 200


def _parts(part):
    yield part
    for sub in part.get("parts", []):
        yield from _parts(sub)
