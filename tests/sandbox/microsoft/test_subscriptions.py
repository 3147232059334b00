"""The Microsoft sandbox's Graph subscriptions: URL validation, Outlook's lifetime limit, which
changes notify which subscription, ownership, and lifecycle events, against a small local receiver."""

from __future__ import annotations

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


class Receiver:
    """A notification endpoint on a free port: echoes validation tokens (unless `echo` is off) and
    records every notification body."""

    def __init__(self) -> None:
        self.echo, self.notifications = True, []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                token = parse_qs(urlsplit(self.path).query).get("validationToken")
                if token:
                    answer = token[0].encode() if receiver.echo else b"no"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                receiver.notifications.append((self.path, json.loads(body)["value"]))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def receiver():
    running = Receiver()
    yield running
    running.server.shutdown()


@pytest.fixture
def sb(microsoft_sandbox, receiver):
    receiver.echo, receiver.notifications = True, []
    microsoft_sandbox.set_public_url(receiver.url)
    return microsoft_sandbox


def body(receiver, resource: str, minutes: int = 60, change: str = "created,updated,deleted", **extra) -> dict:
    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    return {"changeType": change, "notificationUrl": receiver.url + "/hook",
            "lifecycleNotificationUrl": receiver.url + "/lifecycle", "resource": resource,
            "expirationDateTime": expires.isoformat(), "clientState": "s3cret", **extra}


def test_creation_validates_the_urls_and_keeps_outlooks_lifetime_limit(sb, receiver, graph_client):
    graph = graph_client("ana@acme.test")
    created = graph.post("/subscriptions", json=body(receiver, "me/messages"))
    assert created.status_code == 201, created.text
    assert [v.status for v in sb.subscriptions.validations] == [200, 200]  # notification and lifecycle URLs
    receiver.echo = False
    refused = graph.post("/subscriptions", json=body(receiver, "me/events"))
    assert refused.status_code == 400 and "validation" in refused.json()["error"]["message"]
    receiver.echo = True
    assert graph.post("/subscriptions", json=body(receiver, "me/events", minutes=4231)).status_code == 400
    assert graph.post("/subscriptions", json=body(receiver, "me/events", minutes=-1)).status_code == 400
    assert graph.post("/subscriptions", json=body(receiver, "me/contacts")).status_code == 400
    assert list(sb.subscriptions.subscriptions) == [created.json()["id"]]


def test_changes_notify_the_subscriptions_of_their_mailbox_folder_and_change_type(sb, receiver, graph_client):
    graph = graph_client("ana@acme.test")
    inbox = graph.post("/subscriptions", json=body(receiver, "me/mailFolders('inbox')/messages")).json()["id"]
    events = graph.post("/subscriptions", json=body(receiver, "me/events", change="created")).json()["id"]
    message = sb.import_message("ana@acme.test", {"subject": "hi"}, "inbox")
    sb.import_message("ana@acme.test", {"subject": "sent"}, "sentitems")  # another folder: not notified
    sb.import_message("ben@acme.test", {"subject": "other mailbox"}, "inbox")
    event = sb.import_event("ana@acme.test", {"subject": "meet", "start": {"dateTime": "2026-03-02T10:00:00",
                            "timeZone": "UTC"}, "end": {"dateTime": "2026-03-02T11:00:00", "timeZone": "UTC"}})
    sb.update_event("ana@acme.test", event["id"], {"subject": "moved"})  # `updated`: not subscribed
    delivered = [(path, item["subscriptionId"], item["changeType"], item["resourceData"]["id"], item["clientState"])
                 for path, items in receiver.notifications for item in items]
    assert delivered == [("/hook", inbox, "created", message["id"], "s3cret"),
                         ("/hook", events, "created", event["id"], "s3cret")]


def test_only_the_owner_renews_or_deletes_and_lifecycle_events_reach_the_lifecycle_url(sb, receiver, graph_client):
    ana, ben = graph_client("ana@acme.test"), graph_client("ben@acme.test")
    created = ana.post("/subscriptions", json=body(receiver, "me/messages")).json()
    later = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=5)).isoformat()
    assert ben.patch(f"/subscriptions/{created['id']}", json={"expirationDateTime": later}).status_code == 404
    assert ben.delete(f"/subscriptions/{created['id']}").status_code == 404
    renewed = ana.patch(f"/subscriptions/{created['id']}", json={"expirationDateTime": later})
    assert renewed.status_code == 200 and renewed.json()["expirationDateTime"] > created["expirationDateTime"]
    assert ana.post(f"/subscriptions/{created['id']}/reauthorize").status_code == 204

    sb.webhooks.misbehave(bad_signature=True)
    sb.lifecycle(created["id"], "reauthorizationRequired")
    sb.webhooks.misbehave(bad_signature=False)
    sb.lifecycle(created["id"], "subscriptionRemoved")
    assert [(path, items[0]["lifecycleEvent"], items[0]["clientState"]) for path, items in receiver.notifications] == [
        ("/lifecycle", "reauthorizationRequired", "not-the-client-state"),
        ("/lifecycle", "subscriptionRemoved", "s3cret")]
    assert sb.subscriptions.subscriptions == {}  # removed
    assert ana.delete(f"/subscriptions/{created['id']}").status_code == 404
