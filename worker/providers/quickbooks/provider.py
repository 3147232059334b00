"""QuickBooks' registry entry: a tenant-owned provider (one company per connection, no profile)."""

from __future__ import annotations

from worker.capabilities import Capability, Provider
from worker.providers.quickbooks import tasks  # noqa: F401  (its tasks join the blueprint)
from worker.providers.quickbooks.api import RESOURCE_TYPES
from worker.providers.quickbooks.auth.oauth import revoke_grant
from worker.providers.quickbooks.blueprint import blueprint
from worker.providers.quickbooks.capabilities import (
    SCOPE,
    SYNC_ACCOUNTING_LIVE,
    SYNC_ACCOUNTING_ONCE,
    AccountingLiveSettings,
    AccountingOnceParams,
)
from worker.providers.quickbooks.context import open_quickbooks_context
from worker.providers.quickbooks.push import WEBHOOK
from worker.providers.quickbooks.reconcile import AccountingReconciler

QUICKBOOKS = Provider(
    name="quickbooks",
    ownership="tenant",
    credential_kind="oauth2",
    capabilities={
        SYNC_ACCOUNTING_LIVE: Capability(
            SYNC_ACCOUNTING_LIVE, "live", frozenset({SCOPE}), AccountingLiveSettings,
            description="periodic sync of customers, invoices and payments: a query backfill, then CDC",
            task=SYNC_ACCOUNTING_LIVE, reconciler=AccountingReconciler, resource_types=RESOURCE_TYPES,
            normalized_count="quickbooks.normalized_records",
        ),
        SYNC_ACCOUNTING_ONCE: Capability(
            SYNC_ACCOUNTING_ONCE, "once", frozenset({SCOPE}),
            description="manual sync of chosen entities changed within a window",
            task=SYNC_ACCOUNTING_ONCE, params_model=AccountingOnceParams, resource_types=RESOURCE_TYPES,
        ),
    },
    revoke_grant=revoke_grant,
    access_settings_url="https://appcenter.intuit.com/app/connect/manageapps",
    open_context=open_quickbooks_context,
    blueprint=blueprint,
    connect="worker.providers.quickbooks.auth.connect:connect_quickbooks",
    needs_account=False,
    webhooks=(WEBHOOK,),
)
