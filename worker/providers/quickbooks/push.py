"""QuickBooks Online's webhooks (`POST /webhooks/quickbooks`): verified by `intuit-signature`, each
company (realm) named notifies its connections' `sync_accounting_live` (the CDC sync).

Intuit signs the raw body with the app's verifier token (INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN,
from the app's Webhooks page):

    intuit-signature = base64(HMAC-SHA256(verifier_token, raw body))

Two bodies exist: the legacy `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities":
[...]}}]}` and CloudEvents (a JSON array of `{"id", "type": "qbo.<entity>.<verb>.v1",
"intuitaccountid": <realm>, "intuitentityid", ...}`), mandatory from 2026. Both only name what
changed: the CDC sync reads it. CloudEvents carry ids, so a redelivery is handled once; a legacy
body is handled once by its hash, and a realm's requests are rate-limited (the push core).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from worker.capabilities import Notice, PushRefused, PushRequest, Webhook
from worker.providers.quickbooks.capabilities import SYNC_ACCOUNTING_LIVE
from worker.providers.quickbooks.settings import quickbooks_settings

NOTIFIED = (SYNC_ACCOUNTING_LIVE,)


def expected_signature(token: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def verify(request: PushRequest, token: str) -> None:
    if not token:
        raise PushRefused(401, "INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN is not set: no QuickBooks"
                               " notification can be verified")
    given = request.headers.get("intuit-signature", "")
    if not given:
        raise PushRefused(401, "missing intuit-signature")
    if not hmac.compare_digest(given.encode(), expected_signature(token, request.body).encode()):
        raise PushRefused(403, "intuit-signature does not match the verifier token")


def realms(payload) -> dict[str, list[str]]:
    """realm id -> the CloudEvents ids naming it (none for the legacy body)."""
    found: dict[str, list[str]] = {}
    if isinstance(payload, dict) and isinstance(payload.get("eventNotifications"), list):
        for notification in payload["eventNotifications"]:
            realm = notification.get("realmId") if isinstance(notification, dict) else None
            if isinstance(realm, str) and realm:
                found.setdefault(realm, [])
    elif isinstance(payload, list):
        for event in payload:
            realm = event.get("intuitaccountid") if isinstance(event, dict) else None
            if isinstance(realm, str) and realm:
                ids = found.setdefault(realm, [])
                if isinstance(event.get("id"), str) and event["id"]:
                    ids.append(event["id"])
    else:
        raise ValueError("neither eventNotifications nor a CloudEvents array")
    return found


def read(request: PushRequest) -> list[Notice]:
    verify(request, quickbooks_settings().webhook_verifier_token.get_secret_value())
    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body is not JSON") from None
    notices = []
    for realm, ids in realms(payload).items():
        # CloudEvents: their ids; the legacy body has none and no time of its own: its signed bytes,
        # so a replay of it is handled once (the push core keeps delivery ids a day)
        delivery = hashlib.sha256("\n".join(sorted(ids)).encode() if ids else request.body).hexdigest()
        notices.append(Notice(realm, NOTIFIED, delivery if ids else "body:" + delivery))
    return notices


WEBHOOK = Webhook(path="quickbooks", read=read, rate_limited=True)
