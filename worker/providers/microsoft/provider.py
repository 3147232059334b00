"""Microsoft's registry entry: a user-owned provider (Outlook mail through Microsoft Graph)."""

from __future__ import annotations

from worker.capabilities import Action, Capability, NoSettings, Provider
from worker.providers.microsoft.blueprint import blueprint
from worker.providers.microsoft.capabilities import (
    MAIL_READ,
    MAIL_READWRITE,
    MAIL_SEND,
    OFFLINE_ACCESS,
    InboxLiveSettings,
    SendEmailSettings,
)
from worker.providers.microsoft.context import open_microsoft_context
from worker.providers.microsoft.mail import tasks as mail_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.microsoft.mail.api import FOLDER, MESSAGE
from worker.providers.microsoft.mail.once import MailOnceParams
from worker.providers.microsoft.mail.reconcile import MailReconciler
from worker.providers.microsoft.mail.send import prepare_send


def revoke_grant(settings, credentials: dict | None) -> str:
    """The identity platform has no endpoint that revokes one app's refresh token (RFC 7009): the
    token dies with the connection row; the person removes the app's consent in their account."""
    return "not_revocable"


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
    },
    actions={
        "send_email": Action(prepare=prepare_send, task="send_email", capability="send_email",
                             lock=lambda connection, outbound: f"send:{outbound['id']}"),
    },
    revoke_grant=revoke_grant,
    open_context=open_microsoft_context,
    blueprint=blueprint,
    connect="worker.providers.microsoft.auth.connect:connect_microsoft",
)
