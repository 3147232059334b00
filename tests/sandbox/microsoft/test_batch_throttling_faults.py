"""$batch, Outlook's throttling (request budget and mailbox concurrency), injected faults and the
request log, over real HTTPS."""

from __future__ import annotations

import threading

import httpx
from msgraph.generated.models.message import Message
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from tests.sandbox.microsoft.graph_models import parse

USER = "ana@acme.test"


def test_batch_answers_each_part_alone_and_honours_depends_on(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    stored = sb.import_message(USER, {"subject": "batched", "body": {"contentType": "text", "content": "x"}})
    client = graph_client(USER)
    answer = client.post("/$batch", json={"requests": [
        {"id": "1", "method": "GET", "url": f"/me/messages/{stored['id']}?$select=subject",
         "headers": {"Prefer": 'IdType="ImmutableId"'}},
        {"id": "2", "method": "GET", "url": "/me/messages/does-not-exist"},
        {"id": "3", "method": "GET", "url": "/me/mailFolders/inbox", "dependsOn": ["2"]},
        {"id": "4", "method": "PATCH", "url": f"/me/messages/{stored['id']}", "body": {"isRead": True},
         "headers": {"Content-Type": "application/json"}},
    ]})
    assert answer.status_code == 200
    parts = {p["id"]: p for p in answer.json()["responses"]}
    assert parts["1"]["status"] == 200
    assert parse(Message, parts["1"]["body"]).subject == "batched"
    assert parts["2"]["status"] == 404 and parse(ODataError, parts["2"]["body"]).error.code == "ErrorItemNotFound"
    assert parts["3"]["status"] == 424
    assert parts["4"]["status"] == 200 and sb.get_message(USER, stored["id"])["isRead"] is True
    assert sb.count_requests(in_batch=True) == 3  # the part that never ran is not a call
    assert sb.count_requests(method_id="batch") == 1

    too_many = client.post("/$batch", json={"requests": [
        {"id": str(i), "method": "GET", "url": "/me"} for i in range(21)]})
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "BadRequest"


def test_request_budget_answers_429_with_retry_after_even_inside_a_batch(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    sb.set_quota(requests_per_window=3, window_seconds=60)
    client = graph_client(USER)
    assert [client.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    over = client.get("/me")
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert parse(ODataError, over.content).error.code == "ApplicationThrottled"
    other = graph_client("ben@acme.test")
    assert other.get("/me").status_code == 200  # the budget is per mailbox
    batch = other.post("/$batch", json={"requests": [
        {"id": str(i), "method": "GET", "url": "/me"} for i in range(4)]})
    assert batch.status_code == 200
    assert [p["status"] for p in batch.json()["responses"]] == [200, 200, 429, 429]
    assert batch.json()["responses"][2]["headers"]["Retry-After"]


def test_more_than_four_concurrent_requests_per_mailbox_get_429_mailbox_concurrency(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    rule = sb.add_fault(r"^/v1\.0/me$", kind="hold", count=4)
    client = graph_client(USER, timeout=30)
    results = []
    threads = [threading.Thread(target=lambda: results.append(client.get("/me").status_code)) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        assert sb.wait_held(rule["id"], count=4)
        fifth = client.get("/me/mailFolders")
        assert fifth.status_code == 429
        assert fifth.json()["error"]["message"] == "Application is over its MailboxConcurrency limit."
        assert fifth.headers["Retry-After"]
        assert graph_client("ben@acme.test").get("/me/mailFolders").status_code == 200  # another mailbox
    finally:
        sb.release(rule["id"])
        for thread in threads:
            thread.join(10)
    assert results == [200, 200, 200, 200]


def test_faults_answer_in_graphs_format_and_everything_is_logged_as_microsoft(microsoft_sandbox, graph_client):
    sb = microsoft_sandbox
    sb.add_fault(r"/mailFolders", kind="status", status=503, retry_after=7, count=1)
    client = graph_client(USER)
    failed = client.get("/me/mailFolders")
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "7"
    assert parse(ODataError, failed.content).error.code == "ServiceUnavailable"
    assert client.get("/me/mailFolders").status_code == 200
    sb.add_fault(r"/me$", kind="reset", count=1)
    try:
        client.get("/me")
        raise AssertionError("the connection should have been reset")
    except httpx.TransportError:
        pass
    sb.add_fault(r"/me$", kind="truncate", count=1)
    assert client.get("/me").status_code == 200 and client.get("/me").json()["mail"] == USER

    entries = sb.requests(user=USER)
    assert {e["provider"] for e in entries} == {"microsoft"}
    assert [e["status"] for e in sb.requests(path=r"/mailFolders$")] == [503, 200]
    assert sb.count_requests(method_id="users.get", fault="truncate") == 1
    with httpx.Client(base_url=sb.base_url, verify=sb.certificates.client_context()) as admin:
        log = admin.get("/_sandbox/requests", params={"path": "mailFolders"}).json()
        assert log["count"] == 2 and log["requests"][0]["provider"] == "microsoft"
        assert admin.post("/_sandbox/reset").status_code == 200
    assert sb.count_requests() == 0
