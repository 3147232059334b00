"""`integrations serve -v` logs every request, yet never what a query string carries on the paths
where it is a secret: OAuth codes and states, connect session ids, webhook validation tokens. The
same server runs without INTEGRATIONS_CONNECT_TOKEN: the CRM's connect API is off, never open."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.serve.conftest import Server, free_port
from tests.serve.connect_flow import create_session


@pytest.fixture(scope="module")
def verbose(serve_env, tmp_path_factory):
    env = {k: v for k, v in serve_env.items() if k != "INTEGRATIONS_CONNECT_TOKEN"}
    env["INTEGRATIONS_PUBLIC_URL"] = f"http://127.0.0.1:{free_port()}"
    running = Server(env, tmp_path_factory.mktemp("serve-verbose") / "serve.log", args=("-v",))
    yield running
    running.stop()


def test_the_access_log_names_each_request_but_never_a_code_state_session_or_token(verbose):
    secret = uuid.uuid4().hex
    httpx.get(verbose.url + "/oauth/google/callback", params={"code": f"4/{secret}a", "state": f"{secret}b"})
    httpx.get(verbose.url + "/connect/google", params={"session": f"{secret}c"})
    httpx.post(verbose.url + "/webhooks/microsoft", params={"validationToken": f"Validation: {secret}d"})
    httpx.post(verbose.url + "/webhooks/twilio?x=" + secret + "e")
    httpx.get(verbose.url + "/healthz", params={"probe": "visible"})
    log = verbose.log()
    assert "GET /oauth/google/callback?[redacted]" in log and "GET /connect/google?[redacted]" in log
    assert "POST /webhooks/microsoft?[redacted]" in log and "POST /webhooks/twilio?[redacted]" in log
    assert "GET /healthz?probe=visible" in log  # the log still says what was asked elsewhere
    assert secret not in log


def test_without_a_connect_token_the_crm_connect_api_is_off(verbose, crm_url):
    answer = create_session(verbose, "google", token="connect-token-for-the-serve-tests-0123456789",
                            tenant_id=str(uuid.uuid4()), profile_id=str(uuid.uuid4()), account_hint="a@b.example",
                            capabilities="sync_inbox_live", return_to=f"{crm_url}/connected")
    assert answer.status_code == 404 and "INTEGRATIONS_CONNECT_TOKEN" in answer.json()["error"]
