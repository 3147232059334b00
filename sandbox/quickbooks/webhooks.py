"""QuickBooks Online's webhook notifications to the app, as Intuit sends them to the app's
endpoint: a POST of JSON signed with the app's verifier token,

    intuit-signature: base64(HMAC-SHA256(verifier_token, raw body))

in one of two bodies: the legacy one (``eventNotifications[].realmId`` with
``dataChangeEvent.entities[{name, id, operation, lastUpdated}]``) or CloudEvents (an array of
``{specversion, id, source, type: "qbo.<entity>.<verb>.v1", time, intuitentityid, intuitaccountid,
data}``), which Intuit makes mandatory in 2026. Notifications name what changed, never its data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

PATH = "/webhooks/quickbooks"
FORMATS = ("legacy", "cloudevents")
SOURCE = "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU="  # the app's, as Intuit names it
VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Void": "voided", "Merge": "merged"}


def sign(verifier_token: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()


def body(fmt: str, realm_id: str, name: str, entity_id: str, operation: str, when: str) -> bytes:
    if fmt == "cloudevents":
        payload = [{"specversion": "1.0", "id": str(uuid.uuid4()), "source": SOURCE,
                    "type": f"qbo.{name.lower()}.{VERBS.get(operation, operation.lower())}.v1",
                    "datacontenttype": "application/json", "time": when, "intuitentityid": entity_id,
                    "intuitaccountid": realm_id, "data": {}}]
    else:
        payload = {"eventNotifications": [{"realmId": realm_id, "dataChangeEvent": {"entities": [
            {"name": name, "id": entity_id, "operation": operation, "lastUpdated": when}]}}]}
    return json.dumps(payload, separators=(",", ":")).encode()
