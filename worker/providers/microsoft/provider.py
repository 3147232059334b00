"""Microsoft's registry entry: a user-owned provider (Outlook mail and calendar through Microsoft Graph)."""

from __future__ import annotations

from functools import partial

from worker.capabilities import Action, Capability, NoSettings, Provider
from worker.providers.microsoft.blueprint import blueprint
from worker.providers.microsoft.calendar import tasks as calendar_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.microsoft.calendar.actions import prepare_action
from worker.providers.microsoft.calendar.api import EVENT
from worker.providers.microsoft.calendar.once import CalendarOnceParams
from worker.providers.microsoft.calendar.reconcile import CalendarReconciler
from worker.providers.microsoft.capabilities import (
    CALENDARS_READ,
    CALENDARS_READWRITE,
    MAIL_READ,
    MAIL_READWRITE,
    MAIL_SEND,
    OFFLINE_ACCESS,
    CalendarLiveSettings,
    InboxLiveSettings,
    SendEmailSettings,
)
from worker.providers.microsoft.context import open_microsoft_context
from worker.providers.microsoft.mail import tasks as mail_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.microsoft.mail.api import FOLDER, MESSAGE
from worker.providers.microsoft.mail.once import MailOnceParams
from worker.providers.microsoft.mail.reconcile import MailReconciler
from worker.providers.microsoft.mail.send import prepare_send
from worker.providers.microsoft.push import tasks as push_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.microsoft.push.endpoint import WEBHOOK
from worker.providers.microsoft.push.on_delete import delete_our_subscriptions
from worker.sync.meetings import ACTIONS

NOT_REVOCABLE = "not_revocable"


def revoke_grant(settings, credentials: dict | None) -> str:
    """The identity platform has no endpoint that revokes one app's refresh token (RFC 7009): the
    token dies with the connection row; the person removes the app's consent in their account.
    While the grant is still held, the connection's Graph subscriptions are deleted."""
    delete_our_subscriptions(credentials)
    return NOT_REVOCABLE


def _meeting_lock(connection: dict, outbound: dict) -> str:
    """One event's actions in order; a create has no event id yet: its own row is the lock."""
    return f"{connection['id']}:meeting:{outbound['request'].get('event_id') or outbound['id']}"


MICROSOFT = Provider(
    name="microsoft",
    ownership="user",
    credential_kind="oauth2",
    capabilities={
        "sync_inbox_live": Capability(
            "sync_inbox_live", "live", frozenset({MAIL_READ, OFFLINE_ACCESS}), InboxLiveSettings,
            description="periodic, incremental Outlook mail sync (Graph delta per folder)",
            task="sync_inbox_live", reconciler=MailReconciler, normalized_count="status.normalized_email_mailboxes",
            resource_types=(MESSAGE, FOLDER),
        ),
        "sync_inbox_once": Capability(
            "sync_inbox_once", "once", frozenset({MAIL_READ}), NoSettings,
            description="manual Outlook mail sync of a folder, a date window and a maximum",
            task="sync_inbox_once", params_model=MailOnceParams, resource_types=(MESSAGE, FOLDER),
        ),
        # drafts carry our Message-ID (Mail.ReadWrite); the exactly-once lookup reads Sent Items and
        # Drafts, and the sent copy is staged (Mail.ReadWrite covers reading)
        "send_email": Capability(
            "send_email", "action", frozenset({MAIL_SEND, MAIL_READWRITE}), SendEmailSettings,
            description="send, draft, reply in thread", task="send_email", resource_types=(MESSAGE, FOLDER),
        ),
        "sync_calendar_live": Capability(
            "sync_calendar_live", "live", frozenset({CALENDARS_READ, OFFLINE_ACCESS}), CalendarLiveSettings,
            extra_scopes=lambda s: frozenset({CALENDARS_READWRITE}) if s.two_way else frozenset(),
            description="periodic, incremental Outlook calendar sync (Graph calendar-view delta)",
            task="sync_calendar_live", reconciler=CalendarReconciler, resource_types=(EVENT,),
            normalized_count="status.normalized_calendar_events",
        ),
        "sync_calendar_once": Capability(
            "sync_calendar_once", "once", frozenset({CALENDARS_READ}), NoSettings,
            description="manual Outlook calendar sync of a calendar and time window",
            task="sync_calendar_once", params_model=CalendarOnceParams, resource_types=(EVENT,),
        ),
    },
    actions={
        "send_email": Action(prepare=prepare_send, task="send_email", capability="send_email",
                             lock=lambda connection, outbound: f"send:{outbound['id']}"),
        **{name: Action(prepare=partial(prepare_action, action=name), task="meeting_action", lock=_meeting_lock)
           for name in ACTIONS},
    },
    revoke_grant=revoke_grant,
    access_settings_url="https://myapps.microsoft.com",
    open_context=open_microsoft_context,
    blueprint=blueprint,
    connect="worker.providers.microsoft.auth.connect:connect_microsoft",
    webhooks=(WEBHOOK,),
)
