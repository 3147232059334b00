"""Slack's Events API endpoint (`POST /webhooks/slack/events`): verify, answer the handshake, notify.

Slack signs every request with the app's signing secret (signature v0):

    X-Slack-Signature = "v0=" + hex(HMAC-SHA256(signing_secret, "v0:" + X-Slack-Request-Timestamp + ":" + raw body))

A timestamp more than five minutes from our clock is refused (a captured request cannot be
replayed later). Slack wants an answer within 3 s and retries up to three times with
`X-Slack-Retry-Num`; the push core handles each `event_id` once. An `event_callback` of a team
notifies that workspace's channel sync; its event is never used as data (the sync reads history).
"""

from __future__ import annotations

import hashlib
import hmac
import json

from worker.capabilities import Notice, PushAnswer, PushRefused, PushRequest, Webhook
from worker.providers.slack.settings import slack_settings

REPLAY_WINDOW_SECONDS = 300
NOTIFIED = ("sync_channels_live",)


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def verify(request: PushRequest, secret: str) -> None:
    """Raise PushRefused unless the request is signed with `secret` within the replay window."""
    if not secret:
        raise PushRefused(401, "INTEGRATIONS_SLACK_SIGNING_SECRET is not set: no Slack request can be verified")
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise PushRefused(401, "missing X-Slack-Signature or X-Slack-Request-Timestamp")
    if not timestamp.isdigit():
        raise PushRefused(401, "X-Slack-Request-Timestamp is not a unix time")
    if abs(request.received_at - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        raise PushRefused(401, f"X-Slack-Request-Timestamp is more than {REPLAY_WINDOW_SECONDS} s from now"
                               " (a replayed or delayed request)")
    if not hmac.compare_digest(signature.encode(), expected_signature(secret, timestamp, request.body).encode()):
        raise PushRefused(403, "X-Slack-Signature does not match the signing secret")


def read(request: PushRequest) -> list[Notice] | PushAnswer:
    verify(request, slack_settings().signing_secret.get_secret_value())
    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body is not JSON") from None
    if not isinstance(payload, dict):
        raise ValueError("the body is not a JSON object")
    kind = payload.get("type")
    if kind == "url_verification":
        return PushAnswer(200, str(payload.get("challenge", "")).encode())
    if kind != "event_callback":
        return []  # app_rate_limited and the like: nothing to sync
    team = payload.get("team_id")
    if not isinstance(team, str) or not team:
        raise ValueError("event_callback without team_id")
    event_id = payload.get("event_id")
    return [Notice(team, NOTIFIED, event_id if isinstance(event_id, str) and event_id else None)]


WEBHOOK = Webhook(path="slack/events", read=read)
