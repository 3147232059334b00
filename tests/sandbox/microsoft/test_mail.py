"""Graph mail over real HTTPS: every answer parses with msgraph-sdk's models and says what was stored;
delta paging, resume, removals and 410; immutable ids across moves; drafts, send and sendMail; scopes."""

from __future__ import annotations

import httpx
from msgraph.generated.models.attachment_collection_response import AttachmentCollectionResponse
from msgraph.generated.models.mail_folder import MailFolder
from msgraph.generated.models.mail_folder_collection_response import MailFolderCollectionResponse
from msgraph.generated.models.message import Message
from msgraph.generated.models.message_collection_response import MessageCollectionResponse
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.user import User

from tests.sandbox.microsoft.graph_models import parse

USER = "ana@acme.test"


def graph_message(subject: str, received: str = "2024-06-01T10:00:00Z", **extra) -> dict:
    message = {
        "subject": subject,
        "body": {"contentType": "html", "content": f"<html><body><p>{subject} body</p></body></html>"},
        "from": {"emailAddress": {"name": "Ben", "address": "ben@acme.test"}},
        "toRecipients": [{"emailAddress": {"name": "Ana", "address": USER}}],
        "receivedDateTime": received,
        "internetMessageHeaders": [{"name": "X-Campaign", "value": "spring"}],
    }
    message.update(extra)
    return message


def follow_delta(client: httpx.Client, url: str, pages: list | None = None) -> tuple[list[dict], str]:
    """Every item of a delta round and its deltaLink."""
    items = []
    while True:
        answer = client.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        parsed = parse(MessageCollectionResponse, answer.content)
        assert len(parsed.value) == len(body["value"])
        if pages is not None:
            pages.append(len(body["value"]))
        items.extend(body["value"])
        if "@odata.deltaLink" in body:
            assert "$deltatoken=" in body["@odata.deltaLink"]
            return items, body["@odata.deltaLink"]
        assert "$skiptoken=" in body["@odata.nextLink"]
        url = body["@odata.nextLink"]


def test_message_folder_and_user_answers_parse_with_msgraph_models(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    stored = sb.import_message(USER, graph_message("Quarterly numbers", attachments=[
        {"@odata.type": "#microsoft.graph.fileAttachment", "name": "q.txt", "contentType": "text/plain",
         "contentBytes": "aGVsbG8=", "size": 5}]))
    client = graph_client(USER)
    answer = client.get(f"/me/messages/{stored['id']}",
                        params={"$select": "subject,body,from,internetMessageHeaders,internetMessageId,"
                                           "receivedDateTime,hasAttachments,toRecipients"})
    assert answer.status_code == 200
    message = parse(Message, answer.content)
    assert message.id == stored["id"]
    assert message.subject == "Quarterly numbers"
    assert message.from_.email_address.address == "ben@acme.test"
    assert message.to_recipients[0].email_address.address == USER
    assert message.internet_message_id == stored["internetMessageId"].strip() and message.internet_message_id
    assert [(h.name, h.value) for h in message.internet_message_headers] == [("X-Campaign", "spring")]
    assert message.body.content_type.value == "html" and "Quarterly numbers body" in message.body.content
    assert message.received_date_time.isoformat().startswith("2024-06-01T10:00:00")
    assert message.has_attachments is True
    assert "isRead" not in answer.json()  # $select keeps only what was asked for

    text = client.get(f"/me/messages/{stored['id']}", headers={"Prefer": 'outlook.body-content-type="text"'})
    assert text.headers["Preference-Applied"] == 'outlook.body-content-type="text"'
    assert parse(Message, text.content).body.content == "Quarterly numbers body"
    assert "internetMessageHeaders" not in text.json()  # only through $select

    attachments = parse(AttachmentCollectionResponse, client.get(f"/me/messages/{stored['id']}/attachments").content)
    assert attachments.value[0].name == "q.txt" and attachments.value[0].content_bytes == b"hello"

    mime = client.get(f"/me/messages/{stored['id']}/$value")
    assert b"Subject: Quarterly numbers" in mime.content and b"X-Campaign: spring" in mime.content

    folders = parse(MailFolderCollectionResponse, client.get("/me/mailFolders").content)
    names = {f.display_name for f in folders.value}
    assert {"Inbox", "Sent Items", "Drafts", "Deleted Items", "Archive"} <= names
    inbox = parse(MailFolder, client.get("/me/mailFolders/inbox").content)
    assert inbox.total_item_count == 1 and inbox.unread_item_count == 1
    me = parse(User, client.get("/me").content)
    assert me.mail == USER and me.user_principal_name == USER


def test_delta_pages_then_resumes_with_created_updated_deleted_and_moved_out(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    ids = [sb.import_message(USER, graph_message(f"m{i}", f"2024-06-0{i + 1}T10:00:00Z"))["id"] for i in range(7)]
    client = graph_client(USER)
    client.headers["Prefer"] = 'IdType="ImmutableId", odata.maxpagesize=3'
    pages: list[int] = []
    items, delta_link = follow_delta(client, "/me/mailFolders/inbox/messages/delta?$select=subject,isRead", pages)
    assert pages == [3, 3, 1]
    assert sorted(i["id"] for i in items) == sorted(ids)
    assert all(set(i) <= {"id", "subject", "isRead", "@odata.etag"} for i in items)

    nothing, delta_link = follow_delta(client, delta_link)
    assert nothing == []

    new = sb.import_message(USER, graph_message("new"))["id"]
    sb.update_message(USER, ids[0], {"isRead": True})
    sb.delete_message(USER, ids[1])
    sb.move_message(USER, ids[2], "archive")
    changes, delta_link = follow_delta(client, delta_link)
    removed = {c["id"] for c in changes if "@removed" in c}
    assert removed == {ids[1], ids[2]}
    assert all(c["@removed"] == {"reason": "deleted"} for c in changes if "@removed" in c)
    changed = {c["id"]: c for c in changes if "@removed" not in c}
    assert set(changed) == {new, ids[0]} and changed[ids[0]]["isRead"] is True
    parse(MessageCollectionResponse, {"value": changes})

    sb.expire_delta_tokens(USER)
    gone = client.get(delta_link)
    assert gone.status_code == 410
    error = parse(ODataError, gone.content)
    assert error.error.code == "SyncStateNotFound"
    assert set(gone.json()["error"]["innerError"]) >= {"request-id", "date"}


def test_immutable_ids_survive_moves_and_rest_ids_do_not(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    stored = sb.import_message(USER, graph_message("moving"))
    immutable = graph_client(USER)
    rest = graph_client(USER, immutable=False)
    rest_id = rest.get("/me/mailFolders/inbox/messages").json()["value"][0]["id"]
    assert rest_id != stored["id"]
    _, rest_link = follow_delta(rest, "/me/mailFolders/inbox/messages/delta")

    moved = immutable.post(f"/me/messages/{stored['id']}/move", json={"destinationId": "archive"})
    assert moved.status_code == 201 and moved.json()["id"] == stored["id"]
    assert moved.headers["Preference-Applied"] == 'IdType="ImmutableId"'
    assert immutable.get(f"/me/messages/{stored['id']}").json()["parentFolderId"] == \
        immutable.get("/me/mailFolders/archive").json()["id"]

    assert rest.get(f"/me/messages/{rest_id}").status_code == 404  # the old REST id died with the move
    new_rest_id = rest.get("/me/mailFolders/archive/messages").json()["value"][0]["id"]
    assert new_rest_id not in (rest_id, stored["id"])
    changes, _ = follow_delta(rest, rest_link)
    assert changes == [{"@odata.type": "#microsoft.graph.message", "id": rest_id, "@removed": {"reason": "deleted"}}]


def test_draft_with_our_internet_message_id_is_sent_and_found_in_sent_items(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    sb.add_account("ben@acme.test")
    client = graph_client(USER)
    ours = "<outbound-42@integrations.test>"
    draft = client.post("/me/messages", json={
        "subject": "Proposal", "body": {"contentType": "text", "content": "See attached."},
        "toRecipients": [{"emailAddress": {"address": "ben@acme.test"}}],
        "internetMessageId": ours, "internetMessageHeaders": [{"name": "x-integrations-id", "value": "42"}]})
    assert draft.status_code == 201, draft.text
    created = parse(Message, draft.content)
    assert created.is_draft is True and created.internet_message_id == ours

    assert client.post(f"/me/messages/{created.id}/send").status_code == 202
    found = client.get("/me/mailFolders/sentitems/messages",
                       params={"$filter": f"internetMessageId eq '{ours}'",
                               "$select": "id,internetMessageId,internetMessageHeaders,isDraft"})
    page = parse(MessageCollectionResponse, found.content)
    assert [m.id for m in page.value] == [created.id]  # immutable id kept through the send
    assert page.value[0].is_draft is False
    assert page.value[0].internet_message_headers[0].name == "x-integrations-id"
    delivered = [sb.get_message("ben@acme.test", i) for i in sb.message_ids("ben@acme.test", "inbox")]
    assert [m["internetMessageId"] for m in delivered] == [ours]
    frozen = client.patch(f"/me/messages/{created.id}", json={"internetMessageId": "<other@x>"})
    assert frozen.status_code == 400


def test_send_mail_saves_a_copy_unless_told_not_to_and_rejects_non_x_headers(microsoft_sandbox, graph_client):
    client = graph_client(USER)
    message = {"subject": "Hello", "body": {"contentType": "text", "content": "hi"},
               "toRecipients": [{"emailAddress": {"address": "someone@else.test"}}]}
    answer = client.post("/me/sendMail", json={"message": message})
    assert answer.status_code == 202 and answer.content == b""
    client.post("/me/sendMail", json={"message": {**message, "subject": "unsaved"}, "saveToSentItems": False})
    sent = client.get("/me/mailFolders/sentitems/messages").json()["value"]
    assert [m["subject"] for m in sent] == ["Hello"]
    bad = client.post("/me/sendMail", json={"message": {**message, "internetMessageHeaders": [
        {"name": "Subject", "value": "x"}]}})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidInternetMessageHeader"


def test_lists_filter_by_received_time_order_and_page(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    for day in range(1, 8):
        sb.import_message(USER, graph_message(f"d{day}", f"2024-06-0{day}T08:00:00Z"))
    client = graph_client(USER)
    answer = client.get("/me/messages", params={
        "$filter": "receivedDateTime ge 2024-06-02T00:00:00Z and receivedDateTime le 2024-06-06T23:59:59Z",
        "$orderby": "receivedDateTime desc", "$top": "3", "$select": "subject"})
    body = answer.json()
    assert [m["subject"] for m in body["value"]] == ["d6", "d5", "d4"]
    rest = client.get(body["@odata.nextLink"]).json()
    assert [m["subject"] for m in rest["value"]] == ["d3", "d2"] and "@odata.nextLink" not in rest
    assert client.get("/me/messages", params={"$filter": "subject has 'x'"}).status_code == 400


def test_reply_create_reply_patch_and_delete(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    original = sb.import_message(USER, graph_message("Question"))
    client = graph_client(USER)
    reply_draft = client.post(f"/me/messages/{original['id']}/createReply", json={"comment": "Answer"})
    assert reply_draft.status_code == 201
    draft = parse(Message, reply_draft.content)
    assert draft.subject == "RE: Question" and draft.to_recipients[0].email_address.address == "ben@acme.test"
    patched = client.patch(f"/me/messages/{draft.id}", json={"subject": "RE: Question (edited)"})
    assert parse(Message, patched.content).subject == "RE: Question (edited)"
    assert client.post(f"/me/messages/{original['id']}/reply", json={"comment": "Quick"}).status_code == 202
    assert client.delete(f"/me/messages/{draft.id}").status_code == 204
    assert client.get(f"/me/messages/{draft.id}").status_code == 404
    assert [m["subject"] for m in client.get("/me/mailFolders/sentitems/messages").json()["value"]] == ["RE: Question"]


def test_scopes_and_tokens_are_enforced_in_graphs_error_format(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    stored = sb.import_message(USER, graph_message("secret"))
    basic = graph_client(USER, scopes=["Mail.ReadBasic"])
    message = basic.get(f"/me/messages/{stored['id']}").json()
    assert message["subject"] == "secret" and "body" not in message and "bodyPreview" not in message
    denied = basic.post("/me/sendMail", json={"message": {}})
    assert denied.status_code == 403
    assert parse(ODataError, denied.content).error.code == "ErrorAccessDenied"
    reader = graph_client(USER, scopes=["https://graph.microsoft.com/Mail.Read"])  # the same grant as Mail.Read
    assert reader.get(f"/me/messages/{stored['id']}").json()["body"]["content"]
    assert reader.post("/me/messages", json={"subject": "x"}).status_code == 403
    assert reader.get("/me/events").status_code in (403, 400)

    bad = basic.get("/me/messages", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "InvalidAuthenticationToken"
    sb.expire_access_tokens(USER)
    assert reader.get("/me/messages").status_code == 401


def test_admin_http_import_answers_the_stored_message(microsoft_sandbox):
    sb = microsoft_sandbox
    with httpx.Client(base_url=sb.base_url, verify=sb.certificates.client_context()) as admin:
        answer = admin.post(f"/_sandbox/microsoft/users/{USER}/messages", params={"folder": "archive"},
                            json=graph_message("imported"))
        assert answer.status_code == 200
        stored = answer.json()
        assert parse(Message, answer.content).subject == "imported"
        assert sb.message_ids(USER, "archive") == [stored["id"]]
        log = admin.get("/_sandbox/requests").json()
        assert log["count"] == 0  # admin calls are never logged
