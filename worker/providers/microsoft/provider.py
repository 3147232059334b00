"""Microsoft's registry entry: a user-owned provider (Outlook mail through Microsoft Graph)."""

from __future__ import annotations

from worker.capabilities import Capability, NoSettings, Provider
from worker.providers.microsoft.blueprint import blueprint
from worker.providers.microsoft.capabilities import MAIL_READ, OFFLINE_ACCESS, InboxLiveSettings
from worker.providers.microsoft.context import open_microsoft_context
from worker.providers.microsoft.mail import tasks as mail_tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.microsoft.mail.api import FOLDER, MESSAGE
from worker.providers.microsoft.mail.once import MailOnceParams
from worker.providers.microsoft.mail.reconcile import MailReconciler


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
    },
    revoke_grant=revoke_grant,
    open_context=open_microsoft_context,
    blueprint=blueprint,
    connect="worker.providers.microsoft.auth.connect:connect_microsoft",
)
