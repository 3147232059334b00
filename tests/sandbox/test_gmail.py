"""Gmail v1: listing, search, formats, MIME trees, history, sending, drafts, labels, scopes."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

import pytest

from sandbox.google import scopes
from tests.sandbox.conftest import USER, make_raw


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seed_messages(sandbox, count, **kw):
    ids = []
    for n in range(count):
        raw = make_raw(subject=f"Message {n}", message_id=f"<m{n}@client.example>",
                       when=datetime(2024, 5, 1 + n % 28, 12, n % 60, tzinfo=timezone.utc), **kw)
        ids.append(sandbox.import_message(USER, raw)["id"])
    return ids


def test_profile_counts_messages_and_reports_history_id(sandbox, gmail):
    seed_messages(sandbox, 3)
    profile = gmail.get("/gmail/v1/users/me/profile").json()
    assert profile == {"emailAddress": USER, "messagesTotal": 3, "threadsTotal": 3,
                       "historyId": str(sandbox.history_id(USER))}


def test_user_id_may_be_the_own_address_but_not_another(sandbox, gmail):
    assert gmail.get(f"/gmail/v1/users/{USER}/profile").status_code == 200
    answer = gmail.get("/gmail/v1/users/someone@else.test/profile")
    assert answer.status_code == 403


def test_messages_list_pages_newest_first(sandbox, gmail):
    seed_messages(sandbox, 7)
    seen, token = [], None
    while True:
        page = gmail.get("/gmail/v1/users/me/messages",
                         params={"maxResults": 3, **({"pageToken": token} if token else {})}).json()
        assert "resultSizeEstimate" in page
        seen += [m["id"] for m in page["messages"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert seen == sandbox.message_ids(USER)
    dates = [int(gmail.get(f"/gmail/v1/users/me/messages/{i}", params={"format": "minimal"}).json()
                 ["internalDate"]) for i in seen]
    assert dates == sorted(dates, reverse=True)


def test_empty_mailbox_lists_no_messages_key(gmail):
    assert gmail.get("/gmail/v1/users/me/messages").json() == {"resultSizeEstimate": 0}


def test_max_results_above_500_is_capped(sandbox, gmail):
    seed_messages(sandbox, 2)
    assert len(gmail.get("/gmail/v1/users/me/messages", params={"maxResults": 9999}).json()["messages"]) == 2


def test_spam_and_trash_hidden_unless_asked(sandbox, gmail):
    keep = sandbox.import_message(USER, make_raw(message_id="<a@x>"))["id"]
    spam = sandbox.import_message(USER, make_raw(message_id="<b@x>"), ["SPAM"])["id"]
    listed = lambda **p: {m["id"] for m in gmail.get("/gmail/v1/users/me/messages", params=p).json().get("messages", [])}
    assert listed() == {keep}
    assert listed(includeSpamTrash="true") == {keep, spam}
    assert listed(labelIds="SPAM") == {spam}
    assert listed(q="in:spam") == {spam}


@pytest.mark.parametrize("query, expected", [
    ("from:bob@client.example", {"a"}),
    ("from:carol", {"b"}),
    ("to:dan@acme.test", {"b"}),
    ("subject:invoice", {"a"}),
    ("after:2024/05/02", {"b"}),
    ("before:2024/05/02", {"a"}),
    ("label:important", {"b"}),
    ("in:inbox", {"a", "b"}),
    ("rfc822msgid:<a@client.example>", {"a"}),
    ("rfc822msgid:b@client.example", {"b"}),
    ("pineapple", {"b"}),
    ("-subject:invoice", {"b"}),
    ("subject:invoice OR from:carol", {"a", "b"}),
    ("newer_than:1d", set()),
])
def test_search_operators(sandbox, gmail, query, expected):
    ids = {
        "a": sandbox.import_message(USER, make_raw(subject="Invoice 12", message_id="<a@client.example>",
                                                   when=datetime(2024, 5, 1, tzinfo=timezone.utc)))["id"],
        "b": sandbox.import_message(USER, make_raw(subject="Lunch", sender="Carol <carol@x.example>",
                                                   to="dan@acme.test", body="bring a pineapple",
                                                   message_id="<b@client.example>",
                                                   when=datetime(2024, 5, 3, tzinfo=timezone.utc)),
                                    ["INBOX", "IMPORTANT"])["id"],
    }
    answer = gmail.get("/gmail/v1/users/me/messages", params={"q": query}).json()
    assert {m["id"] for m in answer.get("messages", [])} == {ids[k] for k in expected}


def test_get_formats(sandbox, gmail):
    raw = make_raw(subject="Formats", body="Body text here")
    mid = sandbox.import_message(USER, raw)["id"]
    url = f"/gmail/v1/users/me/messages/{mid}"
    minimal = gmail.get(url, params={"format": "minimal"}).json()
    assert set(minimal) == {"id", "threadId", "labelIds", "snippet", "sizeEstimate", "historyId", "internalDate"}
    assert minimal["internalDate"] == str(int(datetime(2024, 5, 1, 12, tzinfo=timezone.utc).timestamp() * 1000))
    assert minimal["sizeEstimate"] == len(raw)
    assert minimal["snippet"] == "Body text here"
    assert unb64(gmail.get(url, params={"format": "raw"}).json()["raw"]) == raw
    metadata = gmail.get(url, params={"format": "metadata", "metadataHeaders": ["Subject", "from"]}).json()
    assert {h["name"] for h in metadata["payload"]["headers"]} == {"Subject", "From"}
    full = gmail.get(url).json()
    assert full["payload"]["mimeType"] == "text/plain"
    assert unb64(full["payload"]["body"]["data"]).decode() == "Body text here\n"
    assert gmail.get(url, params={"format": "bogus"}).status_code == 400


def test_unknown_message_is_404(gmail):
    answer = gmail.get("/gmail/v1/users/me/messages/ffffffffffffffff")
    assert answer.status_code == 404
    assert answer.json()["error"]["errors"][0]["reason"] == "notFound"


def build_multipart() -> bytes:
    msg = EmailMessage()
    msg["From"] = "=?utf-8?q?M=C3=BCller=2C_Hans?= <hans@x.example>"
    msg["To"] = USER
    msg["Subject"] = "=?utf-8?b?w5xiZXJzaWNodA==?="
    msg["Message-ID"] = "<multi@x.example>"
    msg.set_content("Grüße aus Köln", charset="iso-8859-1", cte="quoted-printable")
    msg.add_alternative("<p>Grüße</p>", subtype="html")
    msg.make_mixed()
    msg.add_attachment(b"x" * 20000, maintype="application", subtype="octet-stream", filename="big.bin")
    msg.add_attachment(b"small", maintype="text", subtype="plain", filename="a.txt")
    return msg.as_bytes()


def test_full_payload_is_the_mime_tree_with_decoded_bodies_and_attachment_ids(sandbox, gmail):
    mid = sandbox.import_message(USER, build_multipart())["id"]
    message = gmail.get(f"/gmail/v1/users/me/messages/{mid}").json()
    payload = message["payload"]
    headers = {h["name"]: h["value"] for h in payload["headers"]}
    assert headers["Subject"] == "Übersicht"
    assert headers["From"] == '"Müller, Hans" <hans@x.example>'
    assert payload["mimeType"] == "multipart/mixed" and payload["partId"] == ""
    alternative, big, small = payload["parts"]
    assert [p["partId"] for p in alternative["parts"]] == ["0.0", "0.1"]
    plain = alternative["parts"][0]
    assert unb64(plain["body"]["data"]) == "Grüße aus Köln\n".encode("iso-8859-1")  # charset kept
    assert big["filename"] == "big.bin" and "data" not in big["body"]
    assert big["body"]["size"] == 20000
    attachment = gmail.get(f"/gmail/v1/users/me/messages/{mid}/attachments/{big['body']['attachmentId']}").json()
    assert unb64(attachment["data"]) == b"x" * 20000 and attachment["size"] == 20000
    assert "attachmentId" in small["body"]  # attachments always go by id
    bad = gmail.get(f"/gmail/v1/users/me/messages/{mid}/attachments/nope")
    assert bad.status_code == 400


def test_large_inline_part_goes_by_attachment_id_over_the_threshold(sandbox, gmail):
    mid = sandbox.import_message(USER, make_raw(body="y" * 9000))["id"]
    body = gmail.get(f"/gmail/v1/users/me/messages/{mid}").json()["payload"]["body"]
    assert "attachmentId" in body and body["size"] == 9001


def test_import_of_a_full_format_message_round_trips(sandbox, gmail):
    first = sandbox.import_message(USER, build_multipart())["id"]
    full = gmail.get(f"/gmail/v1/users/me/messages/{first}").json()
    big = full["payload"]["parts"][1]
    big["body"]["data"] = gmail.get(
        f"/gmail/v1/users/me/messages/{first}/attachments/{big['body']['attachmentId']}").json()["data"]
    copy = sandbox.import_message("ben@acme.test", {**full, "id": None})
    other = sandbox.get_message("ben@acme.test", copy["id"])
    reparsed = message_from_bytes(unb64(sandbox.get_message("ben@acme.test", copy["id"], "raw")["raw"]),
                                  policy=default)
    assert str(reparsed["Subject"]) == "Übersicht"
    assert [p["mimeType"] for p in other["payload"]["parts"]] == ["multipart/alternative",
                                                                  "application/octet-stream", "text/plain"]
    assert other["internalDate"] == full["internalDate"]


def test_history_records_every_change_in_order_with_paging(sandbox, gmail):
    start = sandbox.history_id(USER)
    a, b = seed_messages(sandbox, 2)
    sandbox.relabel(USER, a, add=["STARRED"], remove=["INBOX"])
    sandbox.delete_message(USER, b)
    records, token = [], None
    while True:
        params = {"startHistoryId": start, "maxResults": 2, **({"pageToken": token} if token else {})}
        page = gmail.get("/gmail/v1/users/me/history", params=params).json()
        assert page["historyId"] == str(sandbox.history_id(USER))
        records += page.get("history", [])
        token = page.get("nextPageToken")
        if not token:
            break
    ids = [int(r["id"]) for r in records]
    assert ids == sorted(ids) and len(ids) == 4
    assert records[0]["messagesAdded"][0]["message"]["id"] == a
    assert records[2]["labelsAdded"][0]["labelIds"] == ["STARRED"]
    assert records[2]["labelsRemoved"][0]["labelIds"] == ["INBOX"]
    assert records[3]["messagesDeleted"][0]["message"]["id"] == b


def test_history_filters_by_type_and_label(sandbox, gmail):
    start = sandbox.history_id(USER)
    a, = seed_messages(sandbox, 1)
    sandbox.relabel(USER, a, add=["STARRED"])
    added = gmail.get("/gmail/v1/users/me/history",
                      params={"startHistoryId": start, "historyTypes": "messageAdded"}).json()
    assert [list(r) for r in added["history"]] == [["id", "messages", "messagesAdded"]]
    starred = gmail.get("/gmail/v1/users/me/history", params={"startHistoryId": start, "labelId": "STARRED"}).json()
    assert len(starred["history"]) == 1 and "labelsAdded" in starred["history"][0]


def test_history_before_the_retained_window_is_404(sandbox, gmail):
    start = sandbox.history_id(USER)
    seed_messages(sandbox, 2)
    sandbox.expire_history_before(USER, sandbox.history_id(USER))
    answer = gmail.get("/gmail/v1/users/me/history", params={"startHistoryId": start})
    assert answer.status_code == 404
    current = gmail.get("/gmail/v1/users/me/history", params={"startHistoryId": sandbox.history_id(USER)})
    assert current.status_code == 200


def test_history_retention_drops_old_records(sandbox_server):
    from sandbox.google import Sandbox

    small = Sandbox(history_retention=2)
    small.add_account(USER)
    start = small.history_id(USER)
    for n in range(4):
        small.import_message(USER, make_raw(message_id=f"<r{n}@x>"))
    box = small.world.mailbox(USER)
    assert len(box.history) == 2 and box.history_floor > start


def test_history_requires_start_id(gmail):
    assert gmail.get("/gmail/v1/users/me/history").status_code == 400


def send(gmail, raw: bytes, thread_id=None):
    body = {"raw": base64.urlsafe_b64encode(raw).decode()}
    if thread_id:
        body["threadId"] = thread_id
    return gmail.post("/gmail/v1/users/me/messages/send", json=body)


def test_send_puts_the_message_in_sent_with_history_and_keeps_its_message_id(sandbox, gmail):
    start = sandbox.history_id(USER)
    answer = send(gmail, make_raw(sender=USER, to="zed@client.example", message_id="<mine@acme.test>"))
    assert answer.status_code == 200
    sent = answer.json()
    assert sent["labelIds"] == ["SENT"]
    raw = unb64(gmail.get(f"/gmail/v1/users/me/messages/{sent['id']}", params={"format": "raw"}).json()["raw"])
    assert message_from_bytes(raw)["Message-ID"] == "<mine@acme.test>"
    history = gmail.get("/gmail/v1/users/me/history", params={"startHistoryId": start}).json()["history"]
    assert history[0]["messagesAdded"][0]["message"]["id"] == sent["id"]
    assert sandbox.count_requests(method_id="gmail.users.messages.send") == 1
    assert sandbox.requests(method_id="gmail.users.messages.send")[0]["units"] == 100


def test_send_assigns_a_message_id_when_missing_and_replies_join_the_thread(sandbox, gmail):
    first = send(gmail, make_raw(sender=USER, to="zed@client.example", message_id=None)).json()
    raw = unb64(gmail.get(f"/gmail/v1/users/me/messages/{first['id']}", params={"format": "raw"}).json()["raw"])
    original_id = message_from_bytes(raw)["Message-ID"]
    assert original_id
    reply = send(gmail, make_raw(subject="Re: Hello", sender=USER, to="zed@client.example",
                                 message_id="<reply@acme.test>", In_Reply_To=original_id,
                                 References=original_id), thread_id=first["threadId"]).json()
    assert reply["threadId"] == first["threadId"]
    assert send(gmail, make_raw(sender=USER), thread_id="nosuchthread").status_code == 404


def test_send_delivers_to_other_sandbox_mailboxes(sandbox, gmail):
    sandbox.add_account("ben@acme.test")
    send(gmail, make_raw(sender=USER, to="ben@acme.test", message_id="<shared@acme.test>"))
    assert len(sandbox.message_ids("ben@acme.test")) == 1


def test_send_needs_raw_and_a_recipient(gmail):
    assert gmail.post("/gmail/v1/users/me/messages/send", json={}).status_code == 400
    assert send(gmail, make_raw(to="")).status_code == 400


def test_send_with_only_send_scope_works_but_reading_does_not(sandbox, google_client):
    sender = google_client("sender@acme.test", [scopes.GMAIL_SEND])
    assert send(sender, make_raw(sender="sender@acme.test", to="x@client.example")).status_code == 200
    answer = sender.get("/gmail/v1/users/me/messages")
    assert answer.status_code == 403
    assert answer.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"
    assert sender.post("/gmail/v1/users/me/drafts", json={"message": {"raw": "eA"}}).status_code == 403


def test_metadata_scope_refuses_full_format_and_q(sandbox, google_client):
    client = google_client("meta@acme.test", [scopes.GMAIL_METADATA])
    mid = sandbox.import_message("meta@acme.test", make_raw())["id"]
    assert client.get(f"/gmail/v1/users/me/messages/{mid}", params={"format": "metadata"}).status_code == 200
    assert client.get(f"/gmail/v1/users/me/messages/{mid}").status_code == 403
    assert client.get("/gmail/v1/users/me/messages", params={"q": "x"}).status_code == 403


def test_drafts_create_then_send(sandbox, gmail):
    start = sandbox.history_id(USER)
    draft = gmail.post("/gmail/v1/users/me/drafts", json={"message": {"raw": b64(make_raw(
        sender=USER, to="zed@client.example", message_id="<draft@acme.test>"))}}).json()
    assert draft["message"]["labelIds"] == ["DRAFT"]
    assert gmail.get(f"/gmail/v1/users/me/drafts/{draft['id']}").json()["id"] == draft["id"]
    assert gmail.get("/gmail/v1/users/me/drafts").json()["drafts"][0]["id"] == draft["id"]
    sent = gmail.post("/gmail/v1/users/me/drafts/send", json={"id": draft["id"]}).json()
    assert sent["labelIds"] == ["SENT"]
    assert sandbox.message_ids(USER) == [sent["id"]]
    kinds = [k for r in gmail.get("/gmail/v1/users/me/history", params={"startHistoryId": start}).json()["history"]
             for k in r if k.startswith("messages")]
    assert kinds == ["messages", "messagesAdded", "messages", "messagesDeleted", "messages", "messagesAdded"]
    assert gmail.post("/gmail/v1/users/me/drafts/send", json={"id": draft["id"]}).status_code == 404
    units = [r["units"] for r in sandbox.requests(path="drafts")]
    assert units[0] == 10 and units[-2] == 100


def test_drafts_delete(sandbox, gmail):
    draft = gmail.post("/gmail/v1/users/me/drafts", json={"message": {"raw": b64(make_raw())}}).json()
    assert gmail.delete(f"/gmail/v1/users/me/drafts/{draft['id']}").status_code == 204
    assert sandbox.message_ids(USER) == []


def test_labels_list_get_create(sandbox, gmail):
    labels = gmail.get("/gmail/v1/users/me/labels").json()["labels"]
    assert {"INBOX", "SENT", "SPAM", "TRASH", "UNREAD"} <= {l["id"] for l in labels}
    created = gmail.post("/gmail/v1/users/me/labels", json={"name": "Customers"}).json()
    assert created["type"] == "user"
    assert gmail.post("/gmail/v1/users/me/labels", json={"name": "Customers"}).status_code == 409
    seed_messages(sandbox, 1)
    inbox = gmail.get("/gmail/v1/users/me/labels/INBOX").json()
    assert inbox["messagesTotal"] == 1 and inbox["messagesUnread"] == 1
    assert gmail.get("/gmail/v1/users/me/labels/Label_99").status_code == 404


def test_modify_trash_untrash_delete(sandbox, gmail):
    mid, = seed_messages(sandbox, 1)
    url = f"/gmail/v1/users/me/messages/{mid}"
    assert gmail.post(url + "/modify", json={"removeLabelIds": ["UNREAD"]}).json()["labelIds"] == ["INBOX"]
    assert gmail.post(url + "/modify", json={"addLabelIds": ["NOPE"]}).status_code == 400
    assert gmail.post(url + "/trash").json()["labelIds"] == ["TRASH"]
    assert gmail.post(url + "/untrash").json()["labelIds"] == ["INBOX"]
    assert gmail.delete(url).status_code == 204
    assert gmail.get(url).status_code == 404


def test_threads_get_and_list(sandbox, gmail):
    first = sandbox.import_message(USER, make_raw(message_id="<t1@x>"))
    sandbox.import_message(USER, make_raw(subject="Re: Hello", message_id="<t2@x>", In_Reply_To="<t1@x>",
                                          References="<t1@x>", when=datetime(2024, 5, 2, tzinfo=timezone.utc)))
    thread = gmail.get(f"/gmail/v1/users/me/threads/{first['threadId']}").json()
    assert len(thread["messages"]) == 2
    assert gmail.get("/gmail/v1/users/me/threads").json()["threads"][0]["id"] == first["threadId"]


def test_watch_and_stop(sandbox, gmail):
    answer = gmail.post("/gmail/v1/users/me/watch", json={"topicName": "projects/p/topics/t"}).json()
    assert answer["historyId"] == str(sandbox.history_id(USER))
    assert gmail.post("/gmail/v1/users/me/watch", json={}).status_code == 400
    assert gmail.post("/gmail/v1/users/me/stop").status_code == 204


def test_unknown_path_is_404(gmail):
    assert gmail.get("/gmail/v1/users/me/nothing").status_code == 404
