"""QuickBooks Online's webhooks on `POST /webhooks/quickbooks`: `intuit-signature` (base64
HMAC-SHA256 of the raw body with the verifier token), legacy and CloudEvents bodies, each realm's
connections notified (`sync_accounting_live`, the CDC sync); end to end from the sandbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

import httpx
import pytest

from tests.quickbooks.conftest import Company, new_realm
from tests.serve.conftest import drain, jobs, received

pytestmark = pytest.mark.asyncio
TASK = "quickbooks:sync_accounting_live"
LIVE = "sync_accounting_live"


@pytest.fixture
def company(server, in_env, quickbooks_sandbox):
    return Company(quickbooks_sandbox, in_env["INTEGRATIONS_DATABASE_URL"])


def legacy(*realms: str) -> bytes:
    return json.dumps({"eventNotifications": [
        {"realmId": realm, "dataChangeEvent": {"entities": [
            {"name": "Customer", "id": "1", "operation": "Update", "lastUpdated": "2026-11-26T12:00:00.000Z"}]}}
        for realm in realms]}).encode()


def cloudevents(realm: str, event_id: str | None = None) -> bytes:
    return json.dumps([{"specversion": "1.0", "id": event_id or str(uuid.uuid4()), "source": "intuit.test",
                        "type": "qbo.invoice.created.v1", "time": "2026-11-26T12:00:00Z", "intuitentityid": "7",
                        "intuitaccountid": realm, "data": {}}]).encode()


def post(server, sb, body: bytes, signature: str | None = "valid") -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if signature == "valid":
        signature = base64.b64encode(hmac.new(sb.webhook_verifier_token.encode(), body, hashlib.sha256).digest()).decode()
    if signature is not None:
        headers["intuit-signature"] = signature
    return httpx.post(server.url + "/webhooks/quickbooks", content=body, headers=headers, timeout=10)


async def test_a_legacy_notification_enqueues_the_cdc_sync_of_each_realm_named(server, company, in_env,
                                                                                quickbooks_sandbox):
    other = Company(quickbooks_sandbox, company.url)
    assert post(server, quickbooks_sandbox, legacy(company.realm, other.realm)).status_code == 200
    assert jobs(company.url, company.id) == [(TASK, "todo")] and jobs(company.url, other.id) == [(TASK, "todo")]
    assert received(company.url, company.id) == {LIVE: 1}


async def test_a_cloudevents_notification_is_handled_once_per_event_id(server, company, quickbooks_sandbox):
    body = cloudevents(company.realm)
    assert post(server, quickbooks_sandbox, body).status_code == 200
    assert post(server, quickbooks_sandbox, body).status_code == 200  # Intuit redelivers
    assert jobs(company.url, company.id) == [(TASK, "todo")]
    assert received(company.url, company.id) == {LIVE: 1}
    assert post(server, quickbooks_sandbox, cloudevents(company.realm)).status_code == 200  # a new event
    assert received(company.url, company.id) == {LIVE: 2}


@pytest.mark.parametrize("signature, status", [(None, 401), ("bm90IHRoZSBzaWduYXR1cmU=", 403)])
async def test_a_request_failing_verification_changes_nothing(server, company, quickbooks_sandbox, signature, status):
    assert post(server, quickbooks_sandbox, legacy(company.realm), signature).status_code == status
    assert jobs(company.url, company.id) == [] and received(company.url, company.id) == {}


async def test_an_unknown_realm_is_404_and_a_body_of_neither_kind_400(server, in_env, quickbooks_sandbox):
    assert post(server, quickbooks_sandbox, legacy(new_realm())).status_code == 404
    assert post(server, quickbooks_sandbox, b'{"hello": "world"}').status_code == 400


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
async def test_a_customer_created_in_quickbooks_reaches_raw_records_by_push(server, company, quickbooks_sandbox, fmt):
    quickbooks_sandbox.set_public_url(server.url, fmt)
    customer = company.customer("Pushed Ltd")
    [delivery] = quickbooks_sandbox.webhooks.delivered
    assert delivery.status == 200
    assert jobs(company.url, company.id) == [(TASK, "todo")]
    await drain(company.url)
    assert company.live("customer")[customer["Id"]]["DisplayName"] == "Pushed Ltd"
