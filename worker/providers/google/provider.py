"""Google's registry entry: ownership, credentials, and each capability with its task and reconciler."""

from __future__ import annotations

from functools import partial

from worker.capabilities import Action, Capability, NoSettings, Provider
from worker.providers.google.auth.oauth import revoke_grant
from worker.providers.google.blueprint import blueprint
from worker.providers.google.calendar import tasks as calendar_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.google.calendar.actions import ACTIONS as MEETING_ACTIONS
from worker.providers.google.calendar.actions import prepare_action
from worker.providers.google.calendar.api import RESOURCE as EVENT
from worker.providers.google.calendar.once import CalendarOnceParams
from worker.providers.google.calendar.reconcile import CalendarReconciler
from worker.providers.google.capabilities import (
    CALENDAR_EVENTS,
    CALENDAR_READONLY,
    GMAIL_COMPOSE,
    GMAIL_READONLY,
    GMAIL_SEND,
    CalendarLiveSettings,
    InboxLiveSettings,
    SendEmailSettings,
)
from worker.providers.google.context import open_google_context
from worker.providers.google.gmail import tasks as gmail_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.google.gmail.actions import prepare_send
from worker.providers.google.gmail.messages import BODY_RESOURCE, LABELS_RESOURCE
from worker.providers.google.gmail.messages import RESOURCE as MESSAGE
from worker.providers.google.gmail.once import InboxOnceParams
from worker.providers.google.gmail.reconcile import InboxReconciler
from worker.providers.google.push import watch_tasks  # noqa: F401  (the watches' periodic task joins the blueprint)
from worker.providers.google.push.calendar_endpoint import WEBHOOK as CALENDAR_WEBHOOK
from worker.providers.google.push.gmail_endpoint import WEBHOOK as GMAIL_WEBHOOK
from worker.providers.google.push.on_delete import stop_pushes


def _meeting_lock(connection: dict, outbound: dict) -> str:
    return f"{connection['id']}:meeting:{outbound['request']['event_id']}"  # one event's actions in order


GOOGLE = Provider(
    name="google",
    ownership="user",
    credential_kind="oauth2",
    capabilities={
        "sync_inbox_live": Capability(
            "sync_inbox_live", "live", frozenset({GMAIL_READONLY}), InboxLiveSettings,
            description="periodic, incremental Gmail sync (historyId)",
            task="sync_inbox_live", reconciler=InboxReconciler, normalized_count="status.normalized_email_mailboxes",
            resource_types=(MESSAGE, BODY_RESOURCE, LABELS_RESOURCE),
        ),
        "sync_inbox_once": Capability(
            "sync_inbox_once", "once", frozenset({GMAIL_READONLY}), NoSettings,
            description="manual Gmail sync with a query, labels, dates and a maximum",
            task="sync_inbox_once", params_model=InboxOnceParams, resource_types=(MESSAGE, BODY_RESOURCE),
        ),
        # gmail.send alone cannot finish the exactly-once path: the retry's `rfc822msgid:` lookup
        # needs `q` (gmail.readonly; gmail.metadata refuses q), and so do reply headers and
        # staging the sent copy (messages.get)
        "send_email": Capability(
            "send_email", "action", frozenset({GMAIL_SEND, GMAIL_READONLY}), SendEmailSettings,
            extra_scopes=lambda s: frozenset({GMAIL_COMPOSE}) if s.drafts else frozenset(),
            description="send, draft, reply in thread", task="send_email",
            resource_types=(MESSAGE, BODY_RESOURCE),
        ),
        "sync_calendar_live": Capability(
            "sync_calendar_live", "live", frozenset({CALENDAR_READONLY}), CalendarLiveSettings,
            extra_scopes=lambda s: frozenset({CALENDAR_EVENTS}) if s.two_way else frozenset(),
            description="periodic, incremental Calendar sync (syncToken)",
            task="sync_calendar_live", reconciler=CalendarReconciler, resource_types=(EVENT,),
            normalized_count="status.normalized_calendar_events",
        ),
        "sync_calendar_once": Capability(
            "sync_calendar_once", "once", frozenset({CALENDAR_READONLY}), NoSettings,
            description="manual Calendar sync of a calendar and time window",
            task="sync_calendar_once", params_model=CalendarOnceParams, resource_types=(EVENT,),
        ),
    },
    actions={
        "send_email": Action(prepare=prepare_send, task="send_email", capability="send_email",
                             lock=lambda connection, outbound: f"send:{outbound['id']}"),
        **{name: Action(prepare=partial(prepare_action, action=name), task="meeting_action", lock=_meeting_lock)
           for name in MEETING_ACTIONS},
    },
    # before the Blueprint, Google's tasks were named `google.<task>`
    task_aliases={f"google.{task}": task for task in (
        "sync_inbox_live", "sync_inbox_once", "send_email", "sync_calendar_live", "sync_calendar_once",
        "meeting_action")},
    revoke_grant=revoke_grant,
    before_delete=stop_pushes,
    access_settings_url="https://myaccount.google.com/permissions",
    open_context=open_google_context,
    blueprint=blueprint,
    connect="worker.providers.google.auth.connect:connect_google",
    webhooks=(GMAIL_WEBHOOK, CALENDAR_WEBHOOK),
)
