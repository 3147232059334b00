"""``Sandbox``: the Google sandbox tests, the demo and the CLI hold — Gmail mailboxes and Google
calendars on the core ``BaseSandbox`` (server, log, faults, quota, tokens), with every change a test
needs as a plain method (the admin HTTP API calls these).
"""

from __future__ import annotations

from ..core.admin import AdminApi
from ..core.sandbox import BaseSandbox
from ..core.tokens import TokenStore
from ..core.webhooks import Webhooks
from . import mime
from .admin import google_admin_routes
from .app import GoogleApp
from .calendar_store import event_time, instance_stamp
from .channels import CalendarChannels
from .generator import populate
from .gmail_api import message_resource
from .oauth import OAuth, google_tokens
from .pubsub import TOPIC, PubSubPush
from .quota import GoogleQuota, QuotaConfig
from .state import World, WorldConfig

DEFAULT_CLIENT_ID = "sandbox-client-id.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "sandbox-client-secret"


class Sandbox(BaseSandbox):
    def __init__(
        self,
        seed: int = 0,
        quota_units_per_window: int | None = 15000,
        quota_window_seconds: float = 60.0,
        max_concurrent_per_user: int | None = 10,
        history_retention: int | None = None,
        calendar_requests_per_window: int | None = 600,
        quota_error_status: int = 429,
        gmail_quota_table: str = "legacy",
        access_token_lifetime: float = 3600.0,
        attachment_threshold: int = 8192,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._world_defaults = WorldConfig(attachment_threshold, history_retention)
        self._token_lifetime = access_token_lifetime
        quota = GoogleQuota(QuotaConfig(quota_units_per_window, quota_window_seconds,
                                        calendar_requests_per_window, max_concurrent_per_user,
                                        quota_error_status, gmail_quota_table))
        self.webhooks = Webhooks()
        self.pubsub = PubSubPush(self.webhooks)
        self.channels = CalendarChannels(self.webhooks)
        super().__init__(seed, quota)

    # -- core seams ----------------------------------------------------------------------------
    def new_world(self) -> World:
        world = World(WorldConfig(**vars(self._world_defaults)))
        world.on_mailbox_change = self.pubsub.mailbox_changed
        world.on_calendar_change = self.channels.calendar_changed
        return world

    def new_tokens(self) -> TokenStore:
        return google_tokens(self.client_id, self.client_secret, self._token_lifetime)

    def new_app(self, admin: AdminApi) -> GoogleApp:
        self.oauth = OAuth(self.tokens, self.world.ensure_account)
        return GoogleApp(self.world, self.oauth, self.quota, self.faults, self.log, admin, self.pubsub, self.channels)

    def admin_routes(self) -> list[tuple]:
        return google_admin_routes(self)

    def env(self) -> dict[str, str]:
        return {
            "INTEGRATIONS_GOOGLE_BASE_URL": self.base_url,
            "INTEGRATIONS_GOOGLE_CLIENT_ID": self.client_id,
            "INTEGRATIONS_GOOGLE_CLIENT_SECRET": self.client_secret,
            "INTEGRATIONS_GMAIL_QUOTA_TABLE": self.quota.config.gmail_table,
            # Gmail push: the watches' topic and the service account signing the pushes' OIDC tokens
            "INTEGRATIONS_GOOGLE_PUBSUB_TOPIC": TOPIC,
            "INTEGRATIONS_GOOGLE_PUSH_SERVICE_ACCOUNT": self.pubsub.service_account,
        }

    def reset(self) -> None:
        """Empty state, no watches, no public URL; then the core's reset."""
        self.webhooks.reset()
        self.pubsub.reset()
        self.channels.reset()
        super().reset()

    # -- push (Gmail watches through Pub/Sub; misbehave, hold/release: self.webhooks) ----------
    def set_public_url(self, url: str | None) -> None:
        """Where `integrations serve` listens: watched mailboxes publish to url + /webhooks/google/gmail."""
        self.webhooks.set_public_url(url)

    # -- Gmail -------------------------------------------------------------------------------
    def import_message(self, email: str, message: dict | bytes, label_ids=None, *,
                       internal_date: int | None = None, thread_id: str | None = None) -> dict:
        """Add a message from raw RFC 2822 bytes, ``{"raw": base64url}`` or a ``format=full``
        Message resource (its id, threadId, labelIds and internalDate are kept when given)."""
        message_id = None
        if isinstance(message, (bytes, bytearray)):
            raw = bytes(message)
        elif message.get("raw"):
            raw = mime.b64url_decode(message["raw"])
        elif message.get("payload"):
            raw = mime.payload_to_raw(message["payload"])
        else:
            raise ValueError("a message needs 'raw' or 'payload'")
        if isinstance(message, dict):
            message_id = message.get("id")
            thread_id = thread_id or message.get("threadId")
            label_ids = label_ids if label_ids is not None else message.get("labelIds")
            if internal_date is None and message.get("internalDate"):
                internal_date = int(message["internalDate"])
        with self.world.lock:
            stored = self.world.import_raw(email, raw, label_ids or ["INBOX", "UNREAD"],
                                           internal_date=internal_date, thread_id=thread_id,
                                           message_id=message_id)
            return {"id": stored.id, "threadId": stored.thread_id,
                    "historyId": str(self.world.mailbox(email).history_id)}

    def get_message(self, email: str, message_id: str, fmt: str = "full") -> dict:
        with self.world.lock:
            return message_resource(self.world.mailbox(email).messages[message_id], fmt)

    def message_ids(self, email: str) -> list[str]:
        with self.world.lock:
            return [m.id for m in self.world.mailbox(email).newest_first()]

    def delete_message(self, email: str, message_id: str) -> int:
        with self.world.lock:
            return self.world.mailbox(email).delete(message_id)

    def relabel(self, email: str, message_id: str, add=(), remove=()) -> int:
        with self.world.lock:
            box = self.world.mailbox(email)
            box.relabel(message_id, add, remove)
            return box.history_id

    def trash_message(self, email: str, message_id: str) -> int:
        return self.relabel(email, message_id, ["TRASH"], ["INBOX", "SPAM"])

    def add_label(self, email: str, name: str) -> str:
        with self.world.lock:
            return self.world.mailbox(email).create_label(name)

    def history_id(self, email: str) -> int:
        with self.world.lock:
            return self.world.mailbox(email).history_id

    def expire_history_before(self, email: str, history_id: int) -> None:
        with self.world.lock:
            self.world.mailbox(email).expire_history_before(int(history_id))

    # -- Calendar ----------------------------------------------------------------------------
    def add_calendar(self, email: str, calendar_id: str, summary: str | None = None,
                     time_zone: str = "UTC") -> str:
        with self.world.lock:
            account = self.world.calendar_account(email)
            account.add_calendar(calendar_id, summary or calendar_id, time_zone)
            return calendar_id

    def set_calendar_time_zone(self, email: str, time_zone: str, calendar_id: str = "primary") -> None:
        with self.world.lock:
            self.world.calendar_account(email).calendar(calendar_id).time_zone = time_zone

    def import_event(self, email: str, event: dict, calendar_id: str = "primary") -> dict:
        """Add or replace an event given as the Event resource ``events.get`` returns."""
        with self.world.lock:
            calendar = self.world.calendar_account(email).calendar(calendar_id)
            organizer = (event.get("organizer") or {}).get("email", email)
            return calendar.insert(event, organizer, upsert=True)

    def get_event(self, email: str, event_id: str, calendar_id: str = "primary") -> dict:
        with self.world.lock:
            return self.world.calendar_account(email).calendar(calendar_id).get(event_id)

    def update_event(self, email: str, event_id: str, changes: dict, calendar_id: str = "primary") -> dict:
        with self.world.lock:
            return self.world.calendar_account(email).calendar(calendar_id).patch(event_id, changes, email)

    def cancel_event(self, email: str, event_id: str, calendar_id: str = "primary") -> dict:
        with self.world.lock:
            return self.world.calendar_account(email).calendar(calendar_id).cancel(event_id)

    def add_exception(self, email: str, master_id: str, original_start: str | dict,
                      changes: dict | None = None, cancelled: bool = False,
                      calendar_id: str = "primary") -> dict:
        """Modify or cancel one instance of a recurring series, identified by its original start
        (an RFC 3339 time, a date, or an ``originalStartTime`` dict)."""
        with self.world.lock:
            calendar = self.world.calendar_account(email).calendar(calendar_id)
            if isinstance(original_start, str):
                original_start = ({"date": original_start} if len(original_start) == 10
                                  else {"dateTime": original_start})
            stamp = instance_stamp(event_time(original_start, calendar.time_zone))
            instance_id = f"{master_id}_{stamp}"
            if cancelled:
                return calendar.cancel(instance_id)
            return calendar.patch(instance_id, changes or {}, email)

    def invalidate_sync_tokens(self, email: str, calendar_id: str | None = None) -> None:
        with self.world.lock:
            account = self.world.calendar_account(email)
            targets = [account.calendar(calendar_id)] if calendar_id else account.calendars.values()
            for calendar in targets:
                calendar.invalidate_sync_tokens()

    # -- generated data ----------------------------------------------------------------------
    def generate(self, users, messages: int = 50, events: int = 20, seed: int | None = None) -> dict:
        return populate(self, list(users), messages_per_user=messages, events_per_user=events,
                        seed=self.seed if seed is None else seed)
