"""Outlook mail's tasks on Microsoft's Blueprint: the live and the manual sync."""

from __future__ import annotations

from worker.providers.microsoft.blueprint import blueprint
from worker.providers.microsoft.context import open_microsoft_context
from worker.providers.microsoft.mail.live import sync_inbox_live as run_live
from worker.providers.microsoft.mail.once import MailOnceParams
from worker.providers.microsoft.mail.once import sync_inbox_once as run_once
from worker.sync.tasks import live_task, once_task

sync_inbox_live = live_task(blueprint, "sync_inbox_live", open_microsoft_context, run_live)
sync_inbox_once = once_task(blueprint, "sync_inbox_once", MailOnceParams, open_microsoft_context, run_once)
