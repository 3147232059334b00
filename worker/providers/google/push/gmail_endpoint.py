"""Gmail's push endpoint (`POST /webhooks/google/gmail`): a Pub/Sub push of a watched mailbox's change.

    Authorization: Bearer <OIDC token of the push subscription>   (oidc.verify_push_token)
    {"message": {"data": base64 {"emailAddress", "historyId"}, "messageId", "publishTime", "attributes"},
     "subscription"}

The mailbox's inbox sync is notified; the historyId is not used (the sync reads history from its own
cursor, so a lost or out-of-order push loses nothing). Pub/Sub redelivers a message until it is
acknowledged (a 2xx): its messageId is the delivery id, handled once.
"""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import urlsplit, urlunsplit

from worker.capabilities import Notice, PushRequest, Webhook
from worker.providers.google.push.oidc import verify_push_token
from worker.providers.google.push.settings import google_push_settings

PATH = "google/gmail"
NOTIFIED = ("sync_inbox_live",)


def endpoint_url(request: PushRequest) -> str:
    """The public URL the push was addressed to, without its query: Pub/Sub's default audience."""
    parts = urlsplit(request.url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def read(request: PushRequest) -> list[Notice]:
    settings = google_push_settings()
    verify_push_token(request.headers.get("authorization", ""), audience=settings.push_audience or endpoint_url(request),
                      service_account=settings.push_service_account, certs_url=settings.certs_url)
    try:
        envelope = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body is not JSON") from None
    message = envelope.get("message") if isinstance(envelope, dict) else None
    if not isinstance(message, dict):
        raise ValueError("the body has no Pub/Sub message")
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        raise ValueError("the Pub/Sub message has no messageId")
    try:
        data = json.loads(base64.b64decode(message.get("data") or "", validate=True))
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("the Pub/Sub message's data is not base64 JSON") from None
    email = data.get("emailAddress") if isinstance(data, dict) else None
    if not isinstance(email, str) or "@" not in email:
        raise ValueError("the Gmail notification has no emailAddress")
    return [Notice(email.strip().lower(), NOTIFIED, message_id)]


WEBHOOK = Webhook(path=PATH, read=read)
