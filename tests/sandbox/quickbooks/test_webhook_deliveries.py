"""The QuickBooks sandbox notifies each entity created, updated, voided or deleted to the public URL,
signed as Intuit signs (`intuit-signature`: base64 HMAC-SHA256 of the body with the verifier token,
checked here with python-quickbooks' formula written out), in the legacy or the CloudEvents body."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from tests.sandbox.webhook_receiver import receiver  # noqa: F401 - a fixture

REALM = "9341455012345678"


def valid(token: str, headers: dict, body: bytes) -> bool:
    expected = base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["intuit-signature"])


def test_changes_are_notified_in_the_legacy_body(quickbooks_sandbox, receiver):
    sb = quickbooks_sandbox
    sb.import_entity(REALM, "customer", {"DisplayName": "before"})
    assert receiver.seen == []  # no public URL yet
    sb.set_public_url(receiver.url)
    customer = sb.import_entity(REALM, "customer", {"DisplayName": "Acme"})
    sb.update_entity(REALM, "customer", customer["Id"], {"DisplayName": "Acme Inc"})
    sb.delete_entity(REALM, "customer", customer["Id"])
    assert [path for path, _, _ in receiver.seen] == ["/webhooks/quickbooks"] * 3
    assert all(valid(sb.webhook_verifier_token, h, b) for _, h, b in receiver.seen)
    operations = []
    for _, _, body in receiver.seen:
        [notification] = json.loads(body)["eventNotifications"]
        assert notification["realmId"] == REALM
        [entity] = notification["dataChangeEvent"]["entities"]
        assert entity["name"] == "Customer" and entity["id"] == customer["Id"]
        operations.append(entity["operation"])
    assert operations == ["Create", "Update", "Delete"]


def test_cloudevents_bodies_and_bad_signatures(quickbooks_sandbox, receiver):
    sb = quickbooks_sandbox
    sb.set_public_url(receiver.url, "cloudevents")
    invoice = sb.import_entity(REALM, "invoice", {"CustomerRef": {"value": "1"}, "TotalAmt": 10})
    sb.void_invoice(REALM, invoice["Id"])
    created, voided = (json.loads(body)[0] for _, _, body in receiver.seen)
    assert created["type"] == "qbo.invoice.created.v1" and voided["type"] == "qbo.invoice.voided.v1"
    assert created["intuitaccountid"] == REALM and created["intuitentityid"] == invoice["Id"]
    sb.webhooks.misbehave(bad_signature=True)
    sb.update_entity(REALM, "invoice", invoice["Id"], {"PrivateNote": "x"})
    _, headers, body = receiver.seen[-1]
    assert not valid(sb.webhook_verifier_token, headers, body)
    with pytest.raises(ValueError):
        sb.set_public_url(receiver.url, "xml")
