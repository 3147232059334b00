"""Per-realm throttling (500 a minute, 10 in flight: 429 ThrottlingFault + Retry-After), tokens for
another company (403), the core's faults as QBO Faults, and the request log naming provider
"quickbooks", the path and the realm."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import httpx

# a changedSince within CDC's 30 days whenever the suite runs (a fixed date expired and made the
# calls below 400s for another reason than the one each test is about)
RECENT = (date.today() - timedelta(days=3)).isoformat()


def test_the_request_rate_is_per_realm_and_answers_429_with_retry_after(quickbooks_sandbox, realm, api):
    sb = quickbooks_sandbox
    sb.set_quota(requests_per_window=3)
    assert [api.get("/query", params={"query": "select * from Customer"}).status_code for _ in range(3)] == [200] * 3
    over = api.get("/cdc", params={"entities": "Customer", "changedSince": RECENT})
    assert over.status_code == 429 and 1 <= int(over.headers["Retry-After"]) <= 60
    fault = over.json()["Fault"]
    assert fault["type"] == "ThrottlingFault" and fault["Error"][0]["code"] == "3001"
    other = sb.add_realm("123145700000001")
    token = sb.issue_tokens(other)["access_token"]
    answer = httpx.get(f"{sb.base_url}/v3/company/{other}/query", params={"query": "select * from Invoice"},
                       headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200  # another company has its own budget
    sb.set_quota(requests_per_window=0)
    assert api.get("/query", params={"query": "select * from Customer"}).status_code == 200


def test_the_window_is_settable(quickbooks_sandbox, api):
    sb = quickbooks_sandbox
    sb.set_quota(requests_per_window=1, window_seconds=0.05)
    assert api.get("/query", params={"query": "select * from Customer"}).status_code == 200
    threading.Event().wait(0.1)
    assert api.get("/query", params={"query": "select * from Customer"}).status_code == 200


def test_requests_in_flight_over_the_limit_answer_429(quickbooks_sandbox, api):
    sb = quickbooks_sandbox
    sb.set_quota(max_concurrent_per_user=2)
    rule = sb.add_fault(r"/query$", kind="hold", count=2)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(
        api.get("/query", params={"query": "select * from Customer"}).status_code)) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        assert sb.wait_held(rule["id"], count=2)
        third = api.get("/cdc", params={"entities": "Customer", "changedSince": RECENT})
        assert third.status_code == 429 and third.headers["Retry-After"] == "1"
        assert third.json()["Fault"]["type"] == "ThrottlingFault"
    finally:
        sb.release(rule["id"])
        for thread in threads:
            thread.join(10)
    assert results == [200, 200]


def test_a_token_of_another_company_is_forbidden_and_a_missing_one_unauthenticated(quickbooks_sandbox, realm, api):
    sb = quickbooks_sandbox
    other = sb.add_realm()
    forbidden = api.get(f"{sb.base_url}/v3/company/{other}/query", params={"query": "select * from Customer"})
    assert forbidden.status_code == 403
    assert forbidden.json()["Fault"]["type"] == "AuthorizationFault"
    assert forbidden.json()["Fault"]["Error"][0]["code"] == "3100"
    bare = httpx.get(f"{sb.base_url}/v3/company/{realm}/query", params={"query": "select * from Customer"})
    assert bare.status_code == 401 and bare.json()["Fault"]["Error"][0]["code"] == "3200"
    sb.expire_access_tokens(realm)
    assert api.get("/query", params={"query": "select * from Customer"}).status_code == 401
    unknown = httpx.get(f"{sb.base_url}/v3/nothing")
    assert unknown.status_code == 404 and "Fault" in unknown.json()


def test_injected_faults_answer_as_qbo_faults(quickbooks_sandbox, api):
    sb = quickbooks_sandbox
    sb.add_fault(r"/query$", status=503, retry_after=7)
    answer = api.get("/query", params={"query": "select * from Customer"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"
    assert answer.json()["Fault"]["type"] == "SystemFault" and "time" in answer.json()
    assert api.get("/query", params={"query": "select * from Customer"}).status_code == 200
    sb.add_fault(r"/cdc$", status=429, retry_after=60)
    throttled = api.get("/cdc", params={"entities": "Customer", "changedSince": RECENT})
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "60"
    assert throttled.json()["Fault"]["Error"][0]["code"] == "3001"
    sb.add_fault(r"/query$", kind="reset")
    try:
        api.get("/query", params={"query": "select * from Customer"})
        raise AssertionError("the connection should have been reset")
    except httpx.TransportError:
        pass


def test_the_request_log_names_provider_path_method_and_realm(quickbooks_sandbox, realm, api):
    sb = quickbooks_sandbox
    sb.clear_requests()
    api.get("/query", params={"query": "select * from Customer"})
    api.get("/cdc", params={"entities": "Customer", "changedSince": RECENT})
    api.get("/query", params={"query": "select * frm Customer"})
    entries = sb.requests()
    assert [(e["provider"], e["method_id"], e["user"], e["status"]) for e in entries] == [
        ("quickbooks", "query", realm, 200), ("quickbooks", "cdc", realm, 200), ("quickbooks", "query", realm, 400)]
    assert entries[0]["path"] == f"/v3/company/{realm}/query"
    over_http = httpx.get(f"{sb.base_url}/_sandbox/requests", params={"method_id": "cdc"}).json()
    assert over_http["count"] == 1 and over_http["requests"][0]["provider"] == "quickbooks"
