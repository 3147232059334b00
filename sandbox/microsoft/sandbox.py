"""``Sandbox``: the Microsoft 365 sandbox tests, the demo and the CLI hold — Entra ID sign-in and
Graph v1.0 mail and calendars over HTTPS, on the core ``BaseSandbox`` (server, log, faults, quota,
tokens), with every change a test needs as a plain method (the admin HTTP API calls these).

Python methods take either id format and return resources with immutable ids.
"""

from __future__ import annotations

from ..core import tls
from ..core.admin import AdminApi
from ..core.sandbox import BaseSandbox
from ..core.tokens import TokenStore
from ..core.webhooks import Webhooks
from ..core.wire import Request
from . import scopes as graph_scopes
from .admin import microsoft_admin_routes
from .app import MicrosoftApp
from .calendar_api import CalendarApi, render_event
from .identity import TENANT_ID, Identity, microsoft_tokens
from .mail_api import MailApi, render
from .mail_store import check_folder_name
from .odata import Call
from .quota import MicrosoftQuota, QuotaConfig
from .state import World
from .subscriptions import Subscriptions, SubscriptionsApi

DEFAULT_CLIENT_ID = "5f3c9a51-0b7e-4c0e-9d7a-5a9d3b1c2e01"
DEFAULT_CLIENT_SECRET = "sandbox~microsoft-client-secret"
FULL_ACCESS = frozenset({"Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite"})


class Sandbox(BaseSandbox):
    def __init__(self, seed: int = 0, requests_per_window: int | None = 10_000, window_seconds: float = 600.0,
                 max_concurrent_per_user: int | None = 4, access_token_lifetime: float = 3600.0,
                 client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self._token_lifetime = access_token_lifetime
        self.certificates = tls.generate("microsoft-sandbox")
        self.ca_path = self.certificates.ca_path
        self.webhooks = Webhooks()
        self.subscriptions = Subscriptions(self.webhooks, TENANT_ID, self._folder_id)
        super().__init__(seed, MicrosoftQuota(QuotaConfig(requests_per_window, window_seconds,
                                                          max_concurrent_per_user)))

    # -- core seams ----------------------------------------------------------------------------
    def new_world(self) -> World:
        world = World()
        world.on_mail_change = self.subscriptions.mail_changed
        world.on_calendar_change = self.subscriptions.calendar_changed
        return world

    def new_tokens(self) -> TokenStore:
        return microsoft_tokens(self.client_id, self.client_secret, self._token_lifetime)

    def new_app(self, admin: AdminApi) -> MicrosoftApp:
        self.identity = Identity(self.tokens, self.world.ensure_account, self._origin)
        apis = [MailApi(self.world), CalendarApi(self.world), SubscriptionsApi(self.subscriptions)]
        return MicrosoftApp(self.world, self.identity, self.quota, self.faults, self.log, apis, admin)

    def admin_routes(self) -> list[tuple]:
        return microsoft_admin_routes(self)

    def ssl_context(self):
        return self.certificates.server_context()

    def env(self) -> dict[str, str]:
        return {
            "INTEGRATIONS_MICROSOFT_BASE_URL": self.base_url,
            "INTEGRATIONS_MICROSOFT_CLIENT_ID": self.client_id,
            "INTEGRATIONS_MICROSOFT_CLIENT_SECRET": self.client_secret,
            "INTEGRATIONS_MICROSOFT_CA_BUNDLE": self.ca_path,
        }

    def reset(self) -> None:
        """Empty state, no subscriptions, no public URL; then the core's reset."""
        self.webhooks.reset()
        self.subscriptions.reset()
        super().reset()

    # -- change notifications (misbehave, hold/release: self.webhooks) -------------------------
    def set_public_url(self, url: str | None) -> None:
        """Where `integrations serve` listens: subscriptions' notifications are delivered only below it."""
        self.webhooks.set_public_url(url)

    def lifecycle(self, subscription_id: str, event: str) -> list:
        """Send a lifecycle notification (reauthorizationRequired | missed | subscriptionRemoved)."""
        with self.world.lock:
            return self.subscriptions.lifecycle(subscription_id, event)

    def _folder_id(self, email: str, ref: str) -> str:
        return self.world.mailbox(email).folder(ref).id

    def _origin(self) -> str:
        return self.base_url if self._server is not None else "https://127.0.0.1"

    def _view(self, email: str) -> Call:
        """How the Python API renders resources: full access, immutable ids, html bodies."""
        req = Request("GET", "/", headers={"prefer": 'IdType="ImmutableId"'})
        return Call(req, email.lower(), FULL_ACCESS, self._origin(), self.world)

    def issue_tokens(self, email: str, scopes, offline: bool = True) -> dict:
        """Skip the consent screen (core); Graph scopes may be given as full URIs
        (``https://graph.microsoft.com/Mail.Read``) and are kept in their short form."""
        return super().issue_tokens(email, sorted(graph_scopes.normalize(scopes)), offline)

    # -- mail ----------------------------------------------------------------------------------
    def import_message(self, email: str, message: dict, folder: str = "inbox") -> dict:
        """Store a Graph ``message`` resource in `folder` (id or well-known name); its ``id`` is kept
        when given and unused, ``internetMessageId`` generated when missing."""
        with self.world.lock:
            box = self.world.mailbox(email)
            stored = box.insert(folder, {k: v for k, v in message.items() if not k.startswith("@odata")},
                                message.get("id"))
            return render(stored, box, self._view(email), {"internetMessageHeaders"} | _ALL_FIELDS)

    def get_message(self, email: str, message_id: str) -> dict:
        with self.world.lock:
            box = self.world.mailbox(email)
            return render(box.get(message_id), box, self._view(email), {"internetMessageHeaders"} | _ALL_FIELDS)

    def message_ids(self, email: str, folder: str | None = None) -> list[str]:
        """Immutable ids, newest received first (all folders, or one)."""
        with self.world.lock:
            box = self.world.mailbox(email)
            messages = box.in_folder(box.folder(folder).id) if folder else list(box.messages.values())
            messages.sort(key=lambda m: (m.data.get("receivedDateTime") or "", m.immutable_id), reverse=True)
            return [m.immutable_id for m in messages]

    def move_message(self, email: str, message_id: str, folder: str) -> dict:
        with self.world.lock:
            box = self.world.mailbox(email)
            return render(box.move(message_id, folder), box, self._view(email))

    def update_message(self, email: str, message_id: str, changes: dict) -> dict:
        with self.world.lock:
            box = self.world.mailbox(email)
            return render(box.update(message_id, changes), box, self._view(email))

    def delete_message(self, email: str, message_id: str) -> None:
        with self.world.lock:
            self.world.mailbox(email).delete(message_id)

    def add_folder(self, email: str, name: str, parent: str | None = None) -> str:
        with self.world.lock:
            check_folder_name(name)
            return self.world.mailbox(email).add_folder(name, parent).id

    def rest_id(self, email: str, message_id: str) -> str:
        """The message's current REST id (the one served without ``IdType="ImmutableId"``)."""
        with self.world.lock:
            return self.world.mailbox(email).get(message_id).rest_id

    def expire_delta_tokens(self, email: str) -> int:
        """Forget every mail and calendar sync state of `email`: its delta and skip links answer 410."""
        with self.world.lock:
            expired = self.world.mailbox(email).delta.expire()
            return expired + self.world.calendar_account(email).delta.expire()

    # -- calendar ------------------------------------------------------------------------------
    def add_calendar(self, email: str, name: str) -> str:
        with self.world.lock:
            return self.world.calendar_account(email).add_calendar(name).id

    def import_event(self, email: str, event: dict, calendar_id: str | None = None) -> dict:
        """Store a Graph ``event`` (its ``id`` kept when given and unused) in `calendar_id` (default
        calendar when None); the organizer defaults to `email`."""
        with self.world.lock:
            account = self.world.calendar_account(email)
            stored = account.insert(calendar_id, {k: v for k, v in event.items() if not k.startswith("@odata")},
                                    event.get("id"))
            return render_event(account, stored.id)

    def get_event(self, email: str, event_id: str) -> dict:
        with self.world.lock:
            return render_event(self.world.calendar_account(email), event_id)

    def update_event(self, email: str, event_id: str, changes: dict) -> dict:
        """Patch an event, a series master or one occurrence (which becomes an exception)."""
        with self.world.lock:
            account = self.world.calendar_account(email)
            return render_event(account, account.update(event_id, changes))

    def cancel_event(self, email: str, event_id: str) -> dict:
        """Mark an event, a series or one occurrence cancelled (``isCancelled``: true, as attendees
        see it); it stays in calendar views. ``delete_event`` removes it instead."""
        with self.world.lock:
            account = self.world.calendar_account(email)
            return render_event(account, account.cancel(event_id))

    def delete_event(self, email: str, event_id: str) -> None:
        with self.world.lock:
            self.world.calendar_account(email).delete(event_id)

    # -- generated data ------------------------------------------------------------------------
    def generate(self, users, messages: int = 50, events: int = 20, seed: int | None = None) -> dict:
        from .generator import populate

        return populate(self, list(users), messages, events, self.seed if seed is None else seed)


_ALL_FIELDS = {
    "@odata.etag", "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories", "receivedDateTime",
    "sentDateTime", "hasAttachments", "internetMessageId", "subject", "bodyPreview", "importance",
    "parentFolderId", "conversationId", "isDeliveryReceiptRequested", "isReadReceiptRequested", "isRead",
    "isDraft", "webLink", "inferenceClassification", "body", "sender", "from", "toRecipients", "ccRecipients",
    "bccRecipients", "replyTo", "flag",
}
