"""Graph change notifications (`/v1.0/subscriptions`) for Outlook messages and events, as Graph sends them.

    POST   /subscriptions {changeType, notificationUrl, lifecycleNotificationUrl?, resource,
                           expirationDateTime, clientState?}   -> 201; the URLs are validated first:
           POST <url>?validationToken=<token> must answer 200 text/plain with the token within 10 s
    PATCH  /subscriptions/{id} {expirationDateTime}           -> 200 (renew)
    DELETE /subscriptions/{id}                                 -> 204
    POST   /subscriptions/{id}/reauthorize                     -> 204

Resources: `me/messages`, `me/mailFolders('<folder>')/messages` (also `me/mailFolders/<folder>/messages`),
`me/events`; at most 4,230 minutes ahead (Outlook's maximum). A change in a subscribed mailbox POSTs
`{"value": [{subscriptionId, clientState, changeType, resource, subscriptionExpirationDateTime,
tenantId, resourceData: {@odata.type, @odata.id, id}}]}` to notificationUrl; `lifecycle(id, event)`
(reauthorizationRequired | missed | subscriptionRemoved; the last also ends it) POSTs `{"value":
[{subscriptionId, lifecycleEvent, clientState, subscriptionExpirationDateTime, tenantId}]}` to
lifecycleNotificationUrl. Deliveries go through the sandbox's ``Webhooks`` (only under the app's
public URL; `bad_signature` sends a wrong clientState, `duplicates` repeats, hold/release).
"""

from __future__ import annotations

import datetime
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

from ..core.webhooks import Delivery, Webhooks
from ..core.wire import Response
from .errors import GraphError, bad_request, not_found

MAX_MINUTES = 4230
VALIDATION_TIMEOUT = 10.0
CHANGE_TYPES = {"created", "updated", "deleted"}
LIFECYCLE_EVENTS = ("reauthorizationRequired", "missed", "subscriptionRemoved")
FOLDER_RESOURCE = re.compile(r"^me/mailfolders(?:\('(?P<quoted>[^']+)'\)|/(?P<plain>[^/]+))/messages$", re.I)
WRONG_STATE = "not-the-client-state"


@dataclass
class Subscription:
    id: str
    email: str
    resource: str
    kind: str  # messages | events
    folder: str | None  # a folder id or well-known name (messages of one folder), None: all
    change_types: set[str]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expiration: datetime.datetime

    def view(self) -> dict:
        return {"id": self.id, "resource": self.resource, "changeType": ",".join(sorted(self.change_types)),
                "notificationUrl": self.notification_url, "lifecycleNotificationUrl": self.lifecycle_url,
                "clientState": self.client_state, "expirationDateTime": iso(self.expiration),
                "applicationId": "sandbox", "creatorId": self.email, "latestSupportedTlsVersion": "v1_2"}


def iso(when: datetime.datetime) -> str:
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_resource(resource: str) -> tuple[str, str | None]:
    path = resource.strip().lstrip("/")
    if path.lower() == "me/messages":
        return "messages", None
    if path.lower() == "me/events":
        return "events", None
    found = FOLDER_RESOURCE.match(path)
    if found:
        return "messages", found["quoted"] or found["plain"]
    raise bad_request(f"Resource '{resource}' is not supported for subscriptions.", "InvalidRequest")


class Subscriptions:
    def __init__(self, webhooks: Webhooks, tenant_id: str, folder_id) -> None:
        self.webhooks, self.tenant_id = webhooks, tenant_id
        self.folder_id = folder_id  # (email, folder ref) -> folder id (the mailbox resolves well-known names)
        self.reset()

    def reset(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}
        self.validations: list[Delivery] = []

    # -- the API -------------------------------------------------------------------------------
    def create(self, email: str, body: dict) -> dict:
        change_types = {c.strip() for c in str(body.get("changeType") or "").split(",") if c.strip()}
        if not change_types or not change_types <= CHANGE_TYPES:
            raise bad_request("changeType must be created, updated and/or deleted.", "InvalidRequest")
        kind, folder = parse_resource(str(body.get("resource") or ""))
        if folder is not None:
            self.folder_id(email, folder)  # an unknown folder is 404 now
        url, lifecycle = body.get("notificationUrl"), body.get("lifecycleNotificationUrl")
        for value in (url, lifecycle):
            if value is not None and (not isinstance(value, str) or not value.startswith(("https://", "http://"))):
                raise bad_request("notificationUrl must be an https URL.", "InvalidRequest")
        if url is None:
            raise bad_request("notificationUrl is required.", "InvalidRequest")
        client_state = body.get("clientState")
        if client_state is not None and (not isinstance(client_state, str) or len(client_state) > 128):
            raise bad_request("clientState must be a string of at most 128 characters.", "InvalidRequest")
        expiration = self._expiration(body.get("expirationDateTime"))
        for address in dict.fromkeys(u for u in (url, lifecycle) if u):
            self._validate(address)
        subscription = Subscription(str(uuid.uuid4()), email.lower(), str(body["resource"]), kind, folder,
                                    change_types, url, lifecycle, client_state, expiration)
        self.subscriptions[subscription.id] = subscription
        return subscription.view()

    def renew(self, email: str, subscription_id: str, body: dict) -> dict:
        subscription = self._own(email, subscription_id)
        subscription.expiration = self._expiration(body.get("expirationDateTime"))
        return subscription.view()

    def delete(self, email: str, subscription_id: str) -> None:
        del self.subscriptions[self._own(email, subscription_id).id]

    def reauthorize(self, email: str, subscription_id: str) -> None:
        self._own(email, subscription_id)

    def get(self, email: str, subscription_id: str) -> dict:
        return self._own(email, subscription_id).view()

    def list(self, email: str) -> list[dict]:
        return [s.view() for s in self.live() if s.email == email.lower()]

    # -- notifications -------------------------------------------------------------------------
    def live(self) -> list[Subscription]:
        now = datetime.datetime.now(datetime.timezone.utc)
        return [s for s in self.subscriptions.values() if s.expiration > now]

    def mail_changed(self, email: str, change_type: str, message_id: str, folder_ids: list[str]) -> None:
        for subscription in self.live():
            if subscription.email != email.lower() or subscription.kind != "messages":
                continue
            if subscription.folder is not None and self.folder_id(email, subscription.folder) not in folder_ids:
                continue
            self._notify(subscription, change_type, f"Users/{email}/Messages/{message_id}", message_id,
                         "#Microsoft.Graph.Message")

    def calendar_changed(self, email: str, change_type: str, event_id: str) -> None:
        for subscription in self.live():
            if subscription.email == email.lower() and subscription.kind == "events":
                self._notify(subscription, change_type, f"Users/{email}/Events/{event_id}", event_id,
                             "#Microsoft.Graph.Event")

    def lifecycle(self, subscription_id: str, event: str) -> list[Delivery]:
        """Send a lifecycle notification; `subscriptionRemoved` also ends the subscription."""
        if event not in LIFECYCLE_EVENTS:
            raise ValueError(f"lifecycle event must be one of {', '.join(LIFECYCLE_EVENTS)}")
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None:
            raise not_found(f"subscription {subscription_id} not found")
        if event == "subscriptionRemoved":
            del self.subscriptions[subscription_id]
        item = {"subscriptionId": subscription.id, "subscriptionExpirationDateTime": iso(subscription.expiration),
                "tenantId": self.tenant_id, "clientState": subscription.client_state, "lifecycleEvent": event}
        return self._emit(subscription.lifecycle_url or subscription.notification_url, item)

    def _notify(self, subscription: Subscription, change_type: str, resource: str, item_id: str, kind: str) -> None:
        if change_type not in subscription.change_types:
            return
        self._emit(subscription.notification_url, {
            "subscriptionId": subscription.id, "subscriptionExpirationDateTime": iso(subscription.expiration),
            "changeType": change_type, "resource": resource, "tenantId": self.tenant_id,
            "clientState": subscription.client_state,
            "resourceData": {"@odata.type": kind, "@odata.id": resource, "id": item_id}})

    def _emit(self, url: str, item: dict) -> list[Delivery]:
        public = self.webhooks.public_url
        if public is None or not url.startswith(public + "/"):
            return []
        if self.webhooks.bad_signature:  # the misbehaviour of this provider: a wrong clientState
            item = {**item, "clientState": WRONG_STATE}
        body = json.dumps({"value": [item]}).encode()
        delivery = secrets.token_hex(8)

        def sign(_body: bytes, attempt: int) -> dict:
            return {"Content-Type": "application/json; charset=utf-8", "X-Sandbox-Delivery": f"{delivery}:{attempt}"}

        return self.webhooks.emit(url[len(public):], body, sign, "X-Sandbox-Delivery")

    # -- internals -----------------------------------------------------------------------------
    def _own(self, email: str, subscription_id: str) -> Subscription:
        subscription = self.subscriptions.get(subscription_id)
        if subscription is None or subscription.email != email.lower():
            raise GraphError(404, "ResourceNotFound", f"The object '{subscription_id}' doesn't exist.")
        return subscription

    def _expiration(self, value) -> datetime.datetime:
        try:
            when = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise bad_request("expirationDateTime is not a valid date and time.", "InvalidRequest") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        now = datetime.datetime.now(datetime.timezone.utc)
        if when <= now:
            raise bad_request("Subscription expiration can only be in the future.", "InvalidRequest")
        if when > now + datetime.timedelta(minutes=MAX_MINUTES):
            raise bad_request(f"Subscription expiration can only be {MAX_MINUTES} minutes in the future.",
                              "InvalidRequest")
        return when

    def _validate(self, url: str) -> None:
        """Graph's validation request: POST url?validationToken=...; 200 text/plain echoing it, or 400."""
        token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        address = url + ("&" if "?" in url else "?") + "validationToken=" + urllib.parse.quote(token)
        delivery = Delivery(address, b"", {"Content-Type": "text/plain; charset=utf-8"})
        request = urllib.request.Request(address, data=b"", headers=delivery.headers, method="POST")
        content_type = ""
        try:
            with urllib.request.urlopen(request, timeout=VALIDATION_TIMEOUT) as answer:  # noqa: S310 - the app's URL
                delivery.status, delivery.answer = answer.status, answer.read()
                content_type = answer.headers.get("Content-Type", "")
        except urllib.error.HTTPError as error:
            delivery.status, delivery.answer = error.code, error.read()
        except OSError:
            delivery.status = None
        self.validations.append(delivery)
        if (delivery.status != 200 or not content_type.startswith("text/plain")
                or delivery.answer.decode(errors="replace") != token):
            raise bad_request("Subscription validation request failed. Notification endpoint must respond with"
                              f" 200 OK and the validation token as text/plain (got {delivery.status}).",
                              "InvalidRequest")


class SubscriptionsApi:
    """The `/v1.0/subscriptions` routes (any valid token: the resource's own scope is checked by
    Graph on delivery; the sandbox only needs the caller's mailbox)."""

    def __init__(self, subscriptions: Subscriptions) -> None:
        self.subscriptions = subscriptions

    def routes(self) -> list[tuple]:
        one = "/subscriptions/{id}"
        return [
            ("POST", "/subscriptions", "subscriptions.create", frozenset(), self.create),
            ("GET", "/subscriptions", "subscriptions.list", frozenset(), self.list),
            ("GET", one, "subscriptions.get", frozenset(), self.get),
            ("PATCH", one, "subscriptions.update", frozenset(), self.update),
            ("DELETE", one, "subscriptions.delete", frozenset(), self.delete),
            ("POST", one + "/reauthorize", "subscriptions.reauthorize", frozenset(), self.reauthorize),
        ]

    def create(self, call) -> Response:
        return Response.json(201, self.subscriptions.create(call.email, call.json() or {}))

    def list(self, call) -> dict:
        return {"value": self.subscriptions.list(call.email)}

    def get(self, call) -> dict:
        return self.subscriptions.get(call.email, call.req.path_params["id"])

    def update(self, call) -> dict:
        return self.subscriptions.renew(call.email, call.req.path_params["id"], call.json() or {})

    def delete(self, call) -> Response:
        self.subscriptions.delete(call.email, call.req.path_params["id"])
        return Response(204)

    def reauthorize(self, call) -> Response:
        self.subscriptions.reauthorize(call.email, call.req.path_params["id"])
        return Response(204)
