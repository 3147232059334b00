"""Batch endpoint, per-user quota and concurrency, and every injected fault."""

from __future__ import annotations

import json
import threading
import time
from email import message_from_bytes
from email.policy import HTTP

import httpx
import pytest

from tests.sandbox.conftest import USER, make_raw


def batch_body(paths, boundary="b0undary", inner_headers=""):
    parts = [f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{n}+x>\r\n\r\n"
             f"GET {path} HTTP/1.1\r\n{inner_headers}\r\n" for n, path in enumerate(paths)]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/mixed; boundary={boundary}"


def parse_batch(response):
    message = message_from_bytes(b"Content-Type: " + response.headers["content-type"].encode() +
                                 b"\r\n\r\n" + response.content, policy=HTTP)
    out = {}
    for part in message.iter_parts():
        head, _, body = part.get_payload(decode=True).partition(b"\r\n\r\n")
        status = int(head.split()[1])
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
        out[part["Content-ID"]] = (status, headers, json.loads(body) if body else None)
    return out


def _b64(raw: bytes) -> str:
    import base64
    return base64.urlsafe_b64encode(raw).decode()


def import_many(sandbox, count):
    return [sandbox.import_message(USER, make_raw(message_id=f"<q{n}@x>"))["id"] for n in range(count)]


@pytest.mark.parametrize("path", ["/batch/gmail/v1", "/batch"])
def test_batch_answers_every_part_with_its_content_id(sandbox, gmail, path):
    ids = import_many(sandbox, 3)
    body, ctype = batch_body([f"/gmail/v1/users/me/messages/{i}?format=minimal" for i in ids] +
                             ["/gmail/v1/users/me/messages/0000000000000000"])
    answer = gmail.post(path, content=body, headers={"Content-Type": ctype})
    assert answer.status_code == 200
    parts = parse_batch(answer)
    assert set(parts) == {f"<response-item{n}+x>" for n in range(4)}
    assert [parts[f"<response-item{n}+x>"][2]["id"] for n in range(3)] == ids
    assert parts["<response-item3+x>"][0] == 404
    assert sandbox.count_requests(method_id="gmail.users.messages.get", in_batch=True) == 4
    assert sandbox.count_requests(method_id="batch") == 1


def test_batch_inner_authorization_header_is_used(sandbox, gmail):
    ids = import_many(sandbox, 1)
    token = gmail.headers["authorization"]
    body, ctype = batch_body([f"/gmail/v1/users/me/messages/{ids[0]}"], inner_headers=f"Authorization: {token}\r\n")
    answer = httpx.post(sandbox.base_url + "/batch/gmail/v1", content=body, headers={"Content-Type": ctype})
    assert list(parse_batch(answer).values())[0][0] == 200
    body, ctype = batch_body([f"/gmail/v1/users/me/messages/{ids[0]}"])
    unauthenticated = httpx.post(sandbox.base_url + "/batch/gmail/v1", content=body, headers={"Content-Type": ctype})
    assert list(parse_batch(unauthenticated).values())[0][0] == 401


def test_batch_refuses_more_than_100_parts_and_non_multipart(gmail):
    body, ctype = batch_body(["/gmail/v1/users/me/profile"] * 101)
    assert gmail.post("/batch/gmail/v1", content=body, headers={"Content-Type": ctype}).status_code == 400
    assert gmail.post("/batch/gmail/v1", json={}).status_code == 400


def test_batch_works_with_google_api_python_client_format(sandbox, gmail):
    """googleapiclient's own BatchHttpRequest serialization is understood and answered."""
    import httplib2
    from googleapiclient.http import BatchHttpRequest, HttpRequest

    ids = import_many(sandbox, 2)
    token = gmail.headers["authorization"]
    results = {}
    batch = BatchHttpRequest(callback=lambda rid, resp, exc: results.__setitem__(rid, (resp, exc)),
                             batch_uri=sandbox.base_url + "/batch/gmail/v1")
    http = httplib2.Http()
    for n, mid in enumerate(ids):
        batch.add(HttpRequest(http, lambda resp, content: json.loads(content),
                              f"{sandbox.base_url}/gmail/v1/users/me/messages/{mid}?format=minimal&alt=json",
                              headers={"authorization": token}), request_id=str(n))
    batch.execute(http=http)
    assert [results[str(n)][0]["id"] for n in range(2)] == ids


def test_quota_counts_units_and_answers_429_with_retry_after(sandbox, gmail):
    sandbox.set_quota(units_per_window=12, window_seconds=60)
    assert gmail.get("/gmail/v1/users/me/messages").status_code == 200  # 5
    assert gmail.get("/gmail/v1/users/me/messages").status_code == 200  # 10
    assert gmail.get("/gmail/v1/users/me/profile").status_code == 200  # 11
    over = gmail.get("/gmail/v1/users/me/messages")
    assert over.status_code == 429
    assert over.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    assert over.json()["error"]["errors"][0]["domain"] == "usageLimits"
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert gmail.get("/gmail/v1/users/me/profile").status_code == 200  # 12: a refused call cost nothing
    assert sandbox.quota.used(USER) == 12


def test_quota_window_moves(sandbox, gmail):
    clock = [1000.0]
    sandbox.quota.clock = lambda: clock[0]
    try:
        sandbox.set_quota(units_per_window=5, window_seconds=10)
        assert gmail.get("/gmail/v1/users/me/messages").status_code == 200
        assert gmail.get("/gmail/v1/users/me/profile").status_code == 429
        clock[0] += 10.5
        assert gmail.get("/gmail/v1/users/me/profile").status_code == 200
    finally:
        import time as _time
        sandbox.quota.clock = _time.monotonic


def test_quota_can_answer_403_user_rate_limit_exceeded(sandbox, gmail):
    sandbox.set_quota(units_per_window=1, error_status=403)
    gmail.get("/gmail/v1/users/me/profile")
    answer = gmail.get("/gmail/v1/users/me/profile")
    assert answer.status_code == 403
    assert answer.json()["error"]["errors"][0]["reason"] == "userRateLimitExceeded"


def test_quota_is_per_user_and_off_when_zero(sandbox, google_client):
    sandbox.set_quota(units_per_window=1)
    ana, ben = google_client(USER), google_client("ben@acme.test")
    assert ana.get("/gmail/v1/users/me/profile").status_code == 200
    assert ben.get("/gmail/v1/users/me/profile").status_code == 200
    assert ana.get("/gmail/v1/users/me/profile").status_code == 429
    sandbox.set_quota(units_per_window=0)
    assert ana.get("/gmail/v1/users/me/profile").status_code == 200


def test_batch_parts_each_spend_quota_and_may_be_refused_individually(sandbox, gmail):
    ids = import_many(sandbox, 4)
    sandbox.set_quota(units_per_window=10)
    body, ctype = batch_body([f"/gmail/v1/users/me/messages/{i}" for i in ids])
    parts = parse_batch(gmail.post("/batch/gmail/v1", content=body, headers={"Content-Type": ctype}))
    statuses = [parts[f"<response-item{n}+x>"][0] for n in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert "Retry-After" in parts["<response-item2+x>"][1]


def test_calendar_has_its_own_limit(sandbox, google_client):
    client = google_client(USER)
    sandbox.set_quota(units_per_window=1, calendar_requests_per_window=2)
    client.get("/gmail/v1/users/me/profile")
    assert client.get("/calendar/v3/users/me/calendarList").status_code == 200
    assert client.get("/calendar/v3/users/me/calendarList").status_code == 200
    assert client.get("/calendar/v3/users/me/calendarList").status_code == 429


def test_concurrency_limit_per_user(sandbox, gmail):
    sandbox.set_quota(max_concurrent_per_user=1)
    held = sandbox.add_fault(r"/profile$", kind="hold")
    answers = []
    slow = threading.Thread(target=lambda: answers.append(gmail.get("/gmail/v1/users/me/profile")))
    slow.start()
    try:
        assert sandbox.wait_held(held["id"]), "the first request never reached the sandbox"
        assert sandbox.quota.in_flight(USER) == 1
        answer = gmail.get("/gmail/v1/users/me/labels")
    finally:
        sandbox.release(held["id"])
        slow.join()
    assert answer.status_code == 429
    assert answer.json()["error"]["message"] == "Too many concurrent requests for user."
    assert [a.status_code for a in answers] == [200]
    assert sandbox.quota.in_flight(USER) == 0


@pytest.mark.parametrize("status, reason", [(500, "backendError"), (503, "backendError"),
                                            (429, "rateLimitExceeded")])
def test_status_faults_fire_count_times(sandbox, gmail, status, reason):
    sandbox.add_fault(r"/profile$", status=status, count=2, retry_after=7)
    first, second, third = (gmail.get("/gmail/v1/users/me/profile") for _ in range(3))
    assert first.status_code == second.status_code == status
    assert first.json()["error"]["errors"][0]["reason"] == reason
    if status == 429:
        assert first.headers["retry-after"] == "7"
    assert third.status_code == 200
    assert [r["status"] for r in sandbox.requests(path="profile")] == [status, status, 200]


def test_fault_matches_method(sandbox, gmail):
    sandbox.add_fault(r"/messages", method="POST", status=500, count=5)
    assert gmail.get("/gmail/v1/users/me/messages").status_code == 200


def test_connection_reset_fault(sandbox, gmail):
    sandbox.add_fault(r"/profile$", kind="reset")
    with pytest.raises(httpx.TransportError):
        gmail.get("/gmail/v1/users/me/profile")
    assert gmail.get("/gmail/v1/users/me/profile").status_code == 200


def test_a_held_request_times_the_client_out_and_is_carried_out_once_released(sandbox, google_client):
    """The exactly-once hard case: the client gives up, yet Google carries the request out."""
    client = google_client(USER, timeout=0.2)
    held = sandbox.add_fault(r"/messages/import$", kind="hold")
    with pytest.raises(httpx.ReadTimeout):
        client.post("/gmail/v1/users/me/messages/import", json={"raw": _b64(make_raw(message_id="<held@x>"))})
    assert sandbox.wait_held(held["id"])
    assert sandbox.message_ids(USER) == []  # held before the handler ran
    sandbox.release(held["id"])
    deadline = time.monotonic() + 10
    while not sandbox.requests(path=r"/messages/import$") and time.monotonic() < deadline:
        time.sleep(0.01)  # waits on the event (the request logged), not on a timing window
    [logged] = sandbox.requests(path=r"/messages/import$")
    assert (logged["status"], logged["fault"]) == (200, "hold")
    assert len(sandbox.message_ids(USER)) == 1


def test_a_held_answer_is_carried_out_before_the_client_hears_of_it(sandbox, google_client):
    """`hold_answer`: the provider has done it, the caller does not know yet (exactly-once races)."""
    client = google_client(USER)
    held = sandbox.add_fault(r"/messages/import$", kind="hold_answer")
    answers = []
    slow = threading.Thread(target=lambda: answers.append(client.post(
        "/gmail/v1/users/me/messages/import", json={"raw": _b64(make_raw(message_id="<answer@x>"))})))
    slow.start()
    try:
        assert sandbox.wait_held(held["id"])
        assert len(sandbox.message_ids(USER)) == 1 and answers == []  # done, unanswered
    finally:
        sandbox.release(held["id"])
        slow.join(10)
    assert [a.status_code for a in answers] == [200]
    [logged] = sandbox.requests(path=r"/messages/import$")
    assert (logged["status"], logged["fault"]) == (200, "hold_answer")


def test_delay_fault_answers_normally_after_its_delay(sandbox, gmail):
    sandbox.add_fault(r"/profile$", kind="delay", delay_seconds=0.05)
    assert gmail.get("/gmail/v1/users/me/profile").status_code == 200
    [logged] = sandbox.requests(path=r"/profile$")
    assert (logged["status"], logged["fault"]) == (200, "delay")


def test_reset_lets_held_requests_go(sandbox, gmail):
    held = sandbox.add_fault(r"/profile$", kind="hold")
    answers = []
    slow = threading.Thread(target=lambda: answers.append(gmail.get("/gmail/v1/users/me/profile").status_code))
    slow.start()
    assert sandbox.wait_held(held["id"])
    sandbox.clear_faults()
    slow.join(10)
    assert not slow.is_alive() and answers == [200]


@pytest.mark.parametrize("kind", ["truncate", "invalid_json"])
def test_corrupt_body_faults(sandbox, gmail, kind):
    sandbox.add_fault(r"/profile$", kind=kind)
    answer = gmail.get("/gmail/v1/users/me/profile")
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        json.loads(answer.content)


def test_probability_faults_replay_with_the_same_seed(sandbox, gmail):
    def run():
        sandbox.reset()
        client_token = sandbox.issue_tokens(USER, ["https://mail.google.com/"])["access_token"]
        sandbox.add_fault(r"/profile$", status=503, probability=0.5)
        return [httpx.get(sandbox.base_url + "/gmail/v1/users/me/profile",
                          headers={"Authorization": f"Bearer {client_token}"}).status_code for _ in range(20)]

    first, second = run(), run()
    assert first == second
    assert 503 in first and 200 in first


def test_faults_apply_inside_batches(sandbox, gmail):
    ids = import_many(sandbox, 2)
    sandbox.add_fault(ids[1], status=500)
    body, ctype = batch_body([f"/gmail/v1/users/me/messages/{i}" for i in ids])
    parts = parse_batch(gmail.post("/batch/gmail/v1", content=body, headers={"Content-Type": ctype}))
    assert [parts[f"<response-item{n}+x>"][0] for n in range(2)] == [200, 500]


def test_token_endpoint_can_fail_too(sandbox):
    tokens = sandbox.issue_tokens(USER, ["https://mail.google.com/"])
    sandbox.add_fault(r"^/token$", status=503)
    answer = httpx.post(sandbox.base_url + "/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": sandbox.client_id, "client_secret": sandbox.client_secret})
    assert answer.status_code == 503


def test_unknown_fault_kind_is_refused(sandbox):
    with pytest.raises(ValueError):
        sandbox.add_fault("x", kind="explode")


def test_skip_lets_the_first_matches_through_then_fires(sandbox, gmail):
    rule = sandbox.add_fault(r"/profile$", status=503, skip=2, count=1)
    statuses = [gmail.get("/gmail/v1/users/me/profile").status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 200]
    assert [r["fault"] for r in sandbox.requests(path="profile")] == [None, None, "status", None]
    assert rule["skip"] == 2
