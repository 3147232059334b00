"""Calendar push channels (`events.watch`, `channels.stop`) and their notifications, as Google sends them.

A channel watches one calendar's events; Google POSTs to its `address` with no body:

    X-Goog-Channel-ID, X-Goog-Channel-Token (echoed), X-Goog-Channel-Expiration, X-Goog-Resource-ID,
    X-Goog-Resource-URI, X-Goog-Resource-State (`sync` once at creation, then `exists`),
    X-Goog-Message-Number (increasing per channel)

Deliveries go through the sandbox's ``Webhooks`` (misbehave, hold/release), so only an address under
the app's public URL is delivered to. A channel ends with ``channels.stop`` or at its expiration.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass

from ..core.webhooks import Webhooks
from .errors import ApiError

DEFAULT_TTL_SECONDS = 604800


@dataclass
class Channel:
    id: str
    email: str
    calendar_id: str
    address: str
    token: str
    resource_id: str
    expiration_ms: int
    message_number: int = 0


class CalendarChannels:
    def __init__(self, webhooks: Webhooks) -> None:
        self.webhooks = webhooks
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.channels: dict[str, Channel] = {}

    def watch(self, email: str, calendar_id: str, body: dict) -> dict:
        channel_id = body.get("id")
        if not isinstance(channel_id, str) or not channel_id or len(channel_id) > 64:
            raise ApiError(400, "invalid", "Channel id must be 1 to 64 characters")
        if body.get("type") not in ("web_hook", "webhook"):
            raise ApiError(400, "invalid", "Invalid channel type: must be web_hook")
        address = body.get("address")
        if not isinstance(address, str) or not address.startswith(("https://", "http://")):
            raise ApiError(400, "invalid", "Invalid address: must be an https URL")
        if channel_id in self.channels:
            raise ApiError(400, "channelIdNotUnique", f"Channel id {channel_id} not unique")
        ttl = float((body.get("params") or {}).get("ttl") or DEFAULT_TTL_SECONDS)
        expiration_ms = int((time.time() + ttl) * 1000)
        if body.get("expiration"):
            expiration_ms = min(expiration_ms, int(body["expiration"]))
        resource_id = hashlib.sha256(f"{email}/{calendar_id}".encode()).hexdigest()[:27]
        channel = Channel(channel_id, email.lower(), calendar_id, address, str(body.get("token") or ""),
                          resource_id, expiration_ms)
        with self._lock:
            self.channels[channel_id] = channel
        self._notify(channel, "sync")
        return {"kind": "api#channel", "id": channel_id, "resourceId": resource_id,
                "resourceUri": f"https://www.googleapis.com/calendar/v3/calendars/{calendar_id}/events?alt=json",
                "token": channel.token, "expiration": str(expiration_ms)}

    def stop(self, body: dict) -> None:
        with self._lock:
            channel = self.channels.get(body.get("id") or "")
            if channel is None or channel.resource_id != body.get("resourceId"):
                raise ApiError(404, "notFound", f"Channel '{body.get('id')}' not found for project")
            del self.channels[channel.id]

    def live(self, email: str, calendar_id: str) -> list[Channel]:
        now_ms = time.time() * 1000
        return [c for c in self.channels.values()
                if c.email == email.lower() and c.calendar_id == calendar_id and c.expiration_ms > now_ms]

    def calendar_changed(self, email: str, calendar_id: str) -> None:
        for channel in self.live(email, calendar_id):
            self._notify(channel, "exists")

    def _notify(self, channel: Channel, state: str) -> None:
        public = self.webhooks.public_url
        if public is None or not channel.address.startswith(public + "/"):
            return
        channel.message_number += 1
        number = channel.message_number

        def sign(_body: bytes, _attempt: int) -> dict:  # Google's retry: the same message number
            return {"X-Goog-Channel-ID": channel.id, "X-Goog-Channel-Token": channel.token,
                    "X-Goog-Channel-Expiration": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                                                               time.gmtime(channel.expiration_ms / 1000)),
                    "X-Goog-Resource-ID": channel.resource_id, "X-Goog-Resource-State": state,
                    "X-Goog-Resource-URI": f"https://www.googleapis.com/calendar/v3/calendars/{channel.calendar_id}"
                                           "/events?alt=json",
                    "X-Goog-Message-Number": str(number)}

        self.webhooks.emit(channel.address[len(public):], b"", sign, "X-Goog-Channel-Token")
