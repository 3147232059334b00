"""QuickBooks' tasks on its Blueprint: the live sync and the manual one."""

from __future__ import annotations

from worker.providers.quickbooks.blueprint import blueprint
from worker.providers.quickbooks.capabilities import SYNC_ACCOUNTING_LIVE, SYNC_ACCOUNTING_ONCE, AccountingOnceParams
from worker.providers.quickbooks.context import open_quickbooks_context
from worker.providers.quickbooks.live import sync_accounting_live as run_live
from worker.providers.quickbooks.once import sync_accounting_once as run_once
from worker.sync.tasks import live_task, once_task

sync_accounting_live = live_task(blueprint, SYNC_ACCOUNTING_LIVE, open_quickbooks_context, run_live)
sync_accounting_once = once_task(blueprint, SYNC_ACCOUNTING_ONCE, AccountingOnceParams, open_quickbooks_context,
                                 run_once)
