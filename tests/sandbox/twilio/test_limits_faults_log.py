"""Per-account rate and concurrency limits (429 20429 + Retry-After), the core's faults in Twilio's
format, and the request log naming provider "twilio" and the path."""

from __future__ import annotations

import threading
import time

import httpx


def test_the_request_rate_is_per_account_and_answers_429_with_retry_after(twilio_sandbox, twilio_account, http, account_url):
    sb = twilio_sandbox
    sb.set_rate(requests_per_second=3 / 60, window_seconds=60)  # 3 requests a minute
    assert [http.get(account_url).status_code for _ in range(3)] == [200, 200, 200]
    over = http.get("/Messages.json")
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert over.json() == {"code": 20429, "message": "Too Many Requests",
                           "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}
    other = sb.add_account()
    key = sb.create_api_key(other)
    answer = httpx.get(f"{sb.base_url}/2010-04-01/Accounts/{other}.json", auth=(key["sid"], key["secret"]))
    assert answer.status_code == 200  # another account has its own budget
    sb.set_rate(requests_per_second=0)
    assert http.get(account_url).status_code == 200  # 0 turns the rate limit off


def test_requests_in_flight_over_the_limit_answer_429(twilio_sandbox, http, account_url):
    sb = twilio_sandbox
    sb.set_rate(max_concurrent=2)
    rule = sb.add_fault(r"/Messages\.json$", kind="hold", count=2)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(http.get("/Messages.json").status_code))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        assert sb.wait_held(rule["id"], count=2)
        third = http.get(account_url)
        assert third.status_code == 429 and third.json()["code"] == 20429 and third.headers["Retry-After"] == "1"
    finally:
        sb.release(rule["id"])
        for thread in threads:
            thread.join(10)
    assert results == [200, 200]
    assert http.get(account_url).status_code == 200


def test_injected_faults_answer_in_twilios_format(twilio_sandbox, http):
    sb = twilio_sandbox
    sb.add_fault(r"/Messages\.json$", status=503, retry_after=7)
    answer = http.get("/Messages.json")
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "7"
    assert answer.json()["code"] == 20503 and answer.json()["status"] == 503
    assert http.get("/Messages.json").status_code == 200
    sb.add_fault(r"/Calls\.json$", status=500)
    assert http.get("/Calls.json").json()["code"] == 20500
    sb.add_fault(r"/Calls\.json$", kind="reset")
    try:
        http.get("/Calls.json")
        raise AssertionError("the connection should have been reset")
    except httpx.TransportError:
        pass
    assert sb.requests(path=r"/Calls\.json$")[-1]["fault"] == "reset"


def test_unknown_paths_and_methods(twilio_sandbox, twilio_account, http):
    assert http.get("/Recordings.json").json()["code"] == 20404
    assert httpx.get(f"{twilio_sandbox.base_url}/v1/Services").status_code == 404
    put = http.put("/Messages.json")
    assert put.status_code == 405 and put.json()["code"] == 20004


def test_request_log_names_provider_path_method_and_account(twilio_sandbox, twilio_account, http):
    http.get("/Messages.json", params={"PageSize": 5})
    http.post("/Messages.json", data={"To": "+14155550123", "From": "+14155550100", "Body": "x"})
    entries = twilio_sandbox.requests(provider="twilio")
    assert [(e["method"], e["method_id"], e["status"]) for e in entries] == [
        ("GET", "messages.list", 200), ("POST", "messages.create", 201)]
    assert entries[0]["path"] == f"/2010-04-01/Accounts/{twilio_account['account_sid']}/Messages.json"
    assert entries[0]["query"] == {"PageSize": ["5"]} and entries[0]["user"] == twilio_account["account_sid"]


def test_answers_are_dated_by_the_sandbox_clock(twilio_sandbox, http, account_url):
    """Twilio's Date header and its message dates come from one clock, advanced by tests."""
    from email.utils import parsedate_to_datetime

    twilio_sandbox.world.clock.advance(600)
    answer = http.get(account_url)
    date = parsedate_to_datetime(answer.headers["Date"])
    assert 0 <= (twilio_sandbox.world.clock.now() - date).total_seconds() <= 1
    assert (date.timestamp() - time.time()) > 590
