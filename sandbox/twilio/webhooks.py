"""Twilio's webhook requests to the app: an inbound text, a message's status callback, a call's
status callback -- form-encoded POSTs signed as Twilio signs them (twilio.com/docs/usage/security):

    X-Twilio-Signature = base64(HMAC-SHA1(account auth token, URL + each POST name+value sorted by name))

All three go to ``{public_url}/webhooks/twilio`` (the URL an operator configures on the number and
as StatusCallback).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode

PATH = "/webhooks/twilio"
API_VERSION = "2010-04-01"


def sign(auth_token: str, url: str, body: bytes) -> str:
    params = parse_qsl(body.decode(), keep_blank_values=True)
    text = url
    for name in sorted({n for n, _ in params}):
        for value in sorted({v for n, v in params if n == name}):
            text += name + value
    return base64.b64encode(hmac.new(auth_token.encode(), text.encode(), hashlib.sha1).digest()).decode()


def message_params(message: dict) -> dict:
    """An inbound text as the incoming-message webhook carries it; any other, and an inbound text's
    later status (`read`), as its status callback: each callback says something new, as Twilio's do."""
    base = {"MessageSid": message["sid"], "SmsSid": message["sid"], "SmsMessageSid": message["sid"],
            "AccountSid": message["account_sid"], "From": message.get("from") or "", "To": message.get("to") or "",
            "ApiVersion": API_VERSION}
    if message.get("messaging_service_sid"):
        base["MessagingServiceSid"] = message["messaging_service_sid"]
    if message.get("direction") == "inbound" and message.get("status") != "read":
        return {**base, "Body": message.get("body") or "", "NumMedia": str(message.get("num_media") or "0"),
                "NumSegments": str(message.get("num_segments") or "1"), "SmsStatus": "received"}
    params = {**base, "MessageStatus": message["status"], "SmsStatus": message["status"]}
    if message.get("error_code") is not None:
        params["ErrorCode"] = str(message["error_code"])
    return params


def call_params(call: dict) -> dict:
    params = {"CallSid": call["sid"], "AccountSid": call["account_sid"], "From": call.get("from") or "",
              "To": call.get("to") or "", "CallStatus": call["status"], "Direction": call.get("direction") or "",
              "ApiVersion": API_VERSION}
    if call.get("duration") is not None:
        params["CallDuration"] = str(call["duration"])
    return params


def encode(params: dict) -> bytes:
    return urlencode(params).encode()
