"""Issue 31 item 4: forged Gmail push tokens naming unknown key ids must not make serve fetch
Google's certs for each of them inside its event loop (four attacker threads once froze /healthz
for 7.8 s). The certs are fetched at most once per INTEGRATIONS_GOOGLE_CERTS_MIN_REFETCH_SECONDS
whatever the kid, by one caller at a time, off the loop."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time

import httpx
import pytest

from tests.serve.conftest import Server, free_port
from tests.serve.test_google_gmail_push import PATH, envelope

ATTACKERS = 4
FORGED_EACH = 40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_token(audience: str) -> str:
    """Well-formed RS256 JWT naming a key id nobody has, with a signature of random bytes."""
    header = {"alg": "RS256", "typ": "JWT", "kid": "forged-" + secrets.token_hex(8)}
    now = int(time.time())
    claims = {"iss": "https://accounts.google.com", "aud": audience, "email": "x@example.com",
              "email_verified": True, "iat": now, "exp": now + 600}
    return ".".join((b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()),
                     b64url(secrets.token_bytes(256))))


@pytest.fixture
def gmail(server, in_env, sandbox):
    sandbox.set_public_url(server.url)
    return sandbox


@pytest.fixture
def cold_server(serve_env, sandbox, tmp_path):
    """A serve of its own that has never fetched the certs."""
    running = Server({**serve_env, "INTEGRATIONS_PUBLIC_URL": f"http://127.0.0.1:{free_port()}"},
                     tmp_path / "serve.log")
    yield running
    sandbox.clear_faults()
    running.stop()


def post_forged(url: str) -> int:
    return httpx.post(url, content=envelope("victim@sandbox.test", "m-forged"), timeout=60, headers={
        "Authorization": f"Bearer {forged_token(url)}", "Content-Type": "application/json"}).status_code


def test_forged_tokens_with_random_kids_fetch_the_certs_a_bounded_number_of_times_and_healthz_answers(gmail, server):
    audience = server.url + PATH
    body = envelope("victim@sandbox.test", "m-forged")
    gmail.clear_requests()
    statuses: list[int] = []
    probes: list[int] = []
    done = threading.Event()

    def attack() -> None:
        with httpx.Client(timeout=60) as client:
            for _ in range(FORGED_EACH):
                answer = client.post(audience, content=body, headers={
                    "Authorization": f"Bearer {forged_token(audience)}", "Content-Type": "application/json"})
                statuses.append(answer.status_code)

    def probe() -> None:
        with httpx.Client(timeout=10) as client:  # generous: a loop blocked by cert fetches misses it
            while not done.is_set():
                try:
                    probes.append(client.get(server.url + "/healthz").status_code)
                except httpx.TimeoutException:
                    probes.append(-1)

    prober = threading.Thread(target=probe)
    prober.start()
    attackers = [threading.Thread(target=attack) for _ in range(ATTACKERS)]
    for thread in attackers:
        thread.start()
    for thread in attackers:
        thread.join()
    done.set()
    prober.join()

    assert statuses == [401] * (ATTACKERS * FORGED_EACH)  # refused, not 503: the cached certs answer
    fetched = gmail.count_requests(path=r"/oauth2/v1/certs")
    assert fetched <= 2, f"{fetched} certs fetches for {len(statuses)} forged tokens"
    assert probes and set(probes) == {200}, probes

    good = gmail.pubsub.token(audience)  # the genuine key still verifies (its kid is in the cached certs)
    answer = httpx.post(audience, content=envelope("nobody-here@sandbox.test", "m-genuine"),
                        headers={"Authorization": f"Bearer {good}", "Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 404  # verified; no connection holds that mailbox


def test_a_certs_fetch_that_hangs_never_stops_healthz_nor_runs_twice(cold_server, sandbox):
    """The certs are fetched off the event loop, by one caller: a slow Google stalls only the pushes."""
    url = cold_server.url + PATH
    fault = sandbox.add_fault(r"/oauth2/v1/certs", kind="hold", count=None, probability=1.0)
    answers: list[int] = []
    pushes = [threading.Thread(target=lambda: answers.append(post_forged(url))) for _ in range(3)]
    for thread in pushes:
        thread.start()
    try:
        assert sandbox.wait_held(fault["id"], 1, timeout=30)
        health = httpx.get(cold_server.url + "/healthz", timeout=10)  # generous; a blocked loop never answers
        assert health.status_code == 200
    finally:
        sandbox.release(fault["id"])
        for thread in pushes:
            thread.join()
    assert answers == [401, 401, 401]
    assert sandbox.count_requests(path=r"/oauth2/v1/certs") == 1  # one fetch for three unknown kids
