"""Webhook deliveries a provider makes to the app's public URL, with the misbehaviour tests need.

A provider sandbox builds each request (path, raw body, a ``sign(body, attempt)`` giving its signed
headers) and hands it to ``Webhooks.emit``; nothing is sent until ``set_public_url`` names where the
app's service listens. Deliveries are made at once, in the caller's thread (a test knows each was
answered when its import returns), unless held:

    set_public_url(url)          deliver to url + path (None: deliver nothing)
    misbehave(bad_signature=False, duplicates=0)
                                 following deliveries carry a wrong signature / are sent 1 + n times
                                 (a retry is signed anew for its attempt, as the provider retries)
    hold(); release(reverse=True)
                                 queue deliveries, then send them, newest first (out of order)
    delivered                    [Delivery(url, body, headers, status)] in the order sent
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Callable

Signer = Callable[[bytes, int], dict]  # (raw body, attempt: 0 first, 1.. retries) -> headers


@dataclass
class Delivery:
    url: str
    body: bytes
    headers: dict
    status: int | None = None
    answer: bytes = b""


@dataclass
class _Pending:
    path: str
    body: bytes
    sign: Signer
    signature_header: str


class Webhooks:
    def __init__(self, timeout: float = 10.0) -> None:
        self.lock = threading.Lock()
        self.timeout = timeout
        self.reset()

    def reset(self) -> None:
        self.public_url: str | None = None
        self.bad_signature = False
        self.duplicates = 0
        self.holding = False
        self.held: list[_Pending] = []
        self.delivered: list[Delivery] = []

    def set_public_url(self, url: str | None) -> None:
        self.public_url = url.rstrip("/") if url else None

    def misbehave(self, bad_signature: bool = False, duplicates: int = 0) -> None:
        self.bad_signature, self.duplicates = bool(bad_signature), int(duplicates)

    def hold(self) -> None:
        self.holding = True

    def release(self, reverse: bool = True) -> list[Delivery]:
        """Send what was held (newest first when `reverse`) and stop holding."""
        with self.lock:
            pending, self.held, self.holding = self.held, [], False
        sent = []
        for item in reversed(pending) if reverse else pending:
            sent.extend(self._send(item))
        return sent

    def emit(self, path: str, body: bytes, sign: Signer, signature_header: str) -> list[Delivery]:
        if self.public_url is None:
            return []
        item = _Pending(path, body, sign, signature_header)
        with self.lock:
            if self.holding:
                self.held.append(item)
                return []
        return self._send(item)

    def _send(self, item: _Pending) -> list[Delivery]:
        sent = []
        for attempt in range(1 + self.duplicates):
            headers = dict(item.sign(item.body, attempt))
            if self.bad_signature:
                headers[item.signature_header] = _corrupt(headers[item.signature_header])
            delivery = Delivery(self.public_url + item.path, item.body, headers)
            delivery.status, delivery.answer = _post(delivery, self.timeout)
            with self.lock:
                self.delivered.append(delivery)
            sent.append(delivery)
        return sent


def _corrupt(signature: str) -> str:
    """The same signature with its last character changed: well-formed, wrong."""
    return signature[:-2] + ("0" if signature[-2] != "0" else "1") + signature[-1]


def _post(delivery: Delivery, timeout: float) -> tuple[int | None, bytes]:
    request = urllib.request.Request(delivery.url, data=delivery.body, headers=delivery.headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310 - the app's own URL
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError:  # not listening: the provider gives up on this delivery (its retries are `duplicates`)
        return None, b""


def webhook_admin_routes(prefix: str, webhooks: Webhooks) -> list[tuple]:
    """``PUT {prefix}/webhooks {public_url?, bad_signature?, duplicates?, hold?}`` and
    ``POST {prefix}/webhooks/release {reverse?}`` for the core ``AdminApi``."""

    def configure(req):
        body = req.json()
        unknown = set(body) - {"public_url", "bad_signature", "duplicates", "hold"}
        if unknown:
            raise ValueError(f"unknown webhook settings: {', '.join(sorted(unknown))}")
        if "public_url" in body:
            webhooks.set_public_url(body["public_url"])
        webhooks.misbehave(body.get("bad_signature", webhooks.bad_signature), body.get("duplicates", webhooks.duplicates))
        if body.get("hold"):
            webhooks.hold()
        return _view(webhooks)

    def release(req):
        sent = webhooks.release(bool((req.json() or {}).get("reverse", True)))
        return {"released": [{"url": d.url, "status": d.status} for d in sent]}

    return [("PUT", rf"{prefix}/webhooks", configure), ("POST", rf"{prefix}/webhooks/release", release)]


def _view(webhooks: Webhooks) -> dict:
    return {"public_url": webhooks.public_url, "bad_signature": webhooks.bad_signature,
            "duplicates": webhooks.duplicates, "holding": webhooks.holding, "held": len(webhooks.held)}
