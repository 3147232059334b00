"""Twilio's webhooks (`POST /webhooks/twilio`): inbound messages and status callbacks of messages
and calls, verified by `X-Twilio-Signature`, each notifying the account's SMS or call sync.

Twilio signs with the account's **auth token** (twilio.com/docs/usage/security):

    X-Twilio-Signature = base64(HMAC-SHA1(auth_token, full URL + every POST name+value, sorted by name))

The full URL is the one Twilio requested (INTEGRATIONS_PUBLIC_URL + path + query); Twilio's own
validator tries it with and without the default port, and so do we. An API key cannot sign, and
our connections hold an API key: the auth token is stored apart, encrypted with the connection's
credentials (`integrations connections set-webhook-secret ID`, read from standard input) as
`webhook_secret`. A connection without one verifies nothing (403, logged by the push core).
A callback carries no time: the same signed content is handled once a day (`delivery_id`), and an
account's requests are rate-limited (the push core).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from worker.capabilities import WEBHOOK_SECRET, Notice, PushAnswer, PushRefused, PushRequest, Webhook
from worker.providers.twilio.capabilities import SYNC_CALLS_LIVE, SYNC_SMS_LIVE

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response></Response>'  # no reply to an inbound text


def form(request: PushRequest) -> list[tuple[str, str]]:
    try:
        return parse_qsl(request.body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        raise ValueError("the body is not form-encoded UTF-8") from None


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's signature of a form POST: the URL, then each name and value sorted by name (a name's
    several values sorted too), HMAC-SHA1 with the auth token, base64."""
    signed = url
    for name in sorted({n for n, _ in params}):
        for value in sorted({v for n, v in params if n == name}):
            signed += name + value
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> list[str]:
    """The URL as given, without its port, and with the scheme's default port."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    default = 443 if parts.scheme == "https" else 80
    variants = [url, urlunsplit(parts._replace(netloc=host))]
    if parts.port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
    return list(dict.fromkeys(variants))


def read(request: PushRequest) -> list[Notice]:
    if not request.headers.get("x-twilio-signature"):
        raise PushRefused(401, "missing X-Twilio-Signature")
    params = dict(form(request))
    account = params.get("AccountSid", "")
    if not ACCOUNT_SID.match(account):
        raise ValueError("no AccountSid in the request")
    capabilities = []
    if params.get("CallSid"):
        capabilities.append(SYNC_CALLS_LIVE)
    if params.get("MessageSid") or params.get("SmsSid"):
        capabilities.append(SYNC_SMS_LIVE)
    if not capabilities:
        raise ValueError("neither a message nor a call (no MessageSid, SmsSid or CallSid)")
    return [Notice(account, tuple(capabilities), delivery_id(request))]


def delivery_id(request: PushRequest) -> str:
    """The hash of what the signature covers (URL and body): Twilio's retry of a callback and any
    replay of it are the same content, handled once (the push core keeps ids a day). Not the
    `I-Twilio-Idempotency-Token` header: no signature covers it, so a replay could carry a new one.
    Distinct callbacks differ in what they say (a message's next status, a call's SequenceNumber)."""
    return "sha256:" + hashlib.sha256(request.url.encode() + b"\n" + request.body).hexdigest()


def verify(request: PushRequest, credentials: dict | None) -> bool:
    """Whether the connection's auth token signed this request."""
    token = (credentials or {}).get(WEBHOOK_SECRET)
    given = request.headers.get("x-twilio-signature", "")
    if not token or not given:
        return False
    params = form(request)
    return any(hmac.compare_digest(given.encode(), signature(token, url, params).encode())
               for url in url_variants(request.url))


WEBHOOK = Webhook(path="twilio", read=read, verify=verify, rate_limited=True,
                  accepted=PushAnswer(200, EMPTY_TWIML, "text/xml; charset=utf-8"))
