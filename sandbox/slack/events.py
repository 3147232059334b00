"""Events API requests as Slack sends them to an app's Request URL, for tests of a webhook receiver.

An event is wrapped in an ``event_callback`` envelope (``token``, ``team_id``, ``api_app_id``,
``event``, ``type``, ``event_id``, ``event_time``, ``authorizations``) and signed with the app's
signing secret (signature v0):

    X-Slack-Request-Timestamp: <unix seconds>
    X-Slack-Signature: "v0=" + hex(HMAC-SHA256(signing_secret, "v0:" + timestamp + ":" + raw body))

Slack's ``url_verification`` handshake is ``{"token", "challenge", "type": "url_verification"}``; the
receiver answers the challenge. ``deliver`` POSTs one request and returns the receiver's status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request

from .workspace import APP_ID, Team

VERIFICATION_TOKEN = "sandboxVerificationToken0"  # the deprecated token Slack still puts in payloads


def signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else int(timestamp))
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(signing_secret, stamp, body)}


def event_callback(team: Team, event: dict) -> dict:
    return {
        "token": VERIFICATION_TOKEN, "team_id": team.id, "context_team_id": team.id, "api_app_id": APP_ID,
        "event": event, "type": "event_callback", "event_id": "Ev0" + secrets.token_hex(5).upper(),
        "event_time": int(time.time()), "is_ext_shared_channel": False,
        "authorizations": [{"enterprise_id": None, "team_id": team.id, "user_id": team.bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
    }


def url_verification() -> dict:
    return {"token": VERIFICATION_TOKEN, "challenge": secrets.token_urlsafe(32), "type": "url_verification"}


def encode(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def deliver(url: str, body: bytes, headers: dict[str, str], timeout: float = 10.0) -> tuple[int, bytes]:
    """POST `body` to `url` as Slack does; the receiver's status and body (errors included)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - a test's own URL
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
