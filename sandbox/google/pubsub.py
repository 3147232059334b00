"""Gmail push as Pub/Sub delivers it to a push subscription with an OIDC token, for tests of a receiver.

A watched mailbox (``users.watch``) that changes is published to the app's public URL as

    POST {public_url}/webhooks/google/gmail
    Authorization: Bearer <JWT signed RS256 with the sandbox's key: iss https://accounts.google.com,
                   aud = the audience, email = the push service account, email_verified, iat, exp>
    {"message": {"data": base64({"emailAddress", "historyId"}), "messageId", "publishTime",
                 "attributes": {}}, "subscription": "projects/<p>/subscriptions/<s>"}

The signing key is the sandbox's own (made at start); its public half is served at
``/oauth2/v1/certs`` as ``{kid: PEM}``, the format of Google's v1 certs. Signing uses only
``cryptography``, so the app's verification with google-auth is an independent check.
A watch ends with ``users.stop`` or at its expiration (``watch_seconds``, 7 days by default).
"""

from __future__ import annotations

import base64
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from ..core.webhooks import Webhooks

GMAIL_PATH = "/webhooks/google/gmail"
ISSUER = "https://accounts.google.com"
SERVICE_ACCOUNT = "gmail-push@sandbox-project.iam.gserviceaccount.com"
TOPIC = "projects/sandbox-project/topics/gmail"
SUBSCRIPTION = "projects/sandbox-project/subscriptions/gmail-push"
WATCH_SECONDS = 7 * 86400
TOKEN_SECONDS = 3600


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Watch:
    topic: str
    label_ids: tuple[str, ...]
    behavior: str  # include | exclude
    expiration_ms: int


class PubSubPush:
    """The sandbox's Pub/Sub push subscription for Gmail watches, delivering through ``webhooks``."""

    def __init__(self, webhooks: Webhooks) -> None:
        self.webhooks = webhooks
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "sandbox-" + _b64url(self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)[-12:])
        # Pub/Sub message ids are unique across restarts: a receiver that remembers the ids it handled
        # (its dedupe of redeliveries) must not take a later sandbox's first push for a redelivery
        self._ids = itertools.count(10**15 + secrets.randbelow(8 * 10**15))
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.watches: dict[str, Watch] = {}
        self.service_account = SERVICE_ACCOUNT
        self.audience: str | None = None  # None: the endpoint's URL (Pub/Sub's default)
        self.watch_seconds: float = WATCH_SECONDS
        self.wrong_issuer = False
        self.email_unverified = False

    # -- keys ----------------------------------------------------------------------------------
    def certs(self) -> dict[str, str]:
        pem = self._key.public_key().public_bytes(serialization.Encoding.PEM,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        return {self.kid: pem.decode()}

    def token(self, audience: str, now: float | None = None) -> str:
        """An OIDC token as Pub/Sub attaches it to each push request."""
        now = int(time.time() if now is None else now)
        header = {"alg": "RS256", "typ": "JWT", "kid": self.kid}
        claims = {"iss": "https://evil.example" if self.wrong_issuer else ISSUER, "aud": audience,
                  "azp": "1234567890", "sub": "1234567890", "email": self.service_account,
                  "email_verified": not self.email_unverified,
                  "iat": now, "exp": now + TOKEN_SECONDS}
        signing_input = (_b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())).encode()
        signature = self._key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        return signing_input.decode() + "." + _b64url(signature)

    # -- watches (users.watch / users.stop) ----------------------------------------------------
    def watch(self, email: str, topic: str, label_ids, behavior: str) -> int:
        expiration_ms = int((time.time() + self.watch_seconds) * 1000)
        with self._lock:
            self.watches[email.lower()] = Watch(topic, tuple(label_ids or ()), behavior or "include", expiration_ms)
        return expiration_ms

    def stop(self, email: str) -> None:
        with self._lock:
            self.watches.pop(email.lower(), None)

    def watching(self, email: str) -> Watch | None:
        watch = self.watches.get(email.lower())
        if watch is None or watch.expiration_ms <= time.time() * 1000:
            return None
        return watch

    # -- publishing ----------------------------------------------------------------------------
    def mailbox_changed(self, email: str, history_id: int, label_ids=()) -> None:
        """Publish the change of a watched mailbox (nothing when unwatched, expired or no public URL)."""
        watch = self.watching(email)
        if watch is None or self.webhooks.public_url is None:
            return
        if watch.label_ids:
            touched = bool(set(watch.label_ids) & set(label_ids))
            if touched != (watch.behavior == "include"):
                return
        data = json.dumps({"emailAddress": email, "historyId": int(history_id)}).encode()
        message_id = str(next(self._ids))
        body = json.dumps({
            "message": {"data": base64.b64encode(data).decode(), "messageId": message_id, "message_id": message_id,
                        "publishTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                        "attributes": {}},
            "subscription": SUBSCRIPTION,
        }).encode()

        def sign(_body: bytes, _attempt: int) -> dict:  # Pub/Sub redelivers the same message, a fresh token
            audience = self.audience or (self.webhooks.public_url or "") + GMAIL_PATH
            return {"Content-Type": "application/json", "Authorization": "Bearer " + self.token(audience)}

        self.webhooks.emit(GMAIL_PATH, body, sign, "Authorization")
