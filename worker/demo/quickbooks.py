"""The demo tenant's QuickBooks Online company: customers, invoices and payments in a local
QuickBooks sandbox, connected through Intuit's OAuth (the refresh token rotates on every refresh),
synced by `sync_accounting_live`, and the customers and invoices the CRM then shows.

`run.py` holds this piece as `Demo.quickbooks` and calls it at its steps (start, settings, connect,
the live syncs, the summary, the request count of reprocess, stop); everything QuickBooks is here.
"""

from __future__ import annotations

from typing import Callable

from worker.demo.world import consent_in_background
from worker.optional import load_sandbox
from worker.store import query

SEED = 15
REALM = "9341452390123456"
CUSTOMERS, INVOICES, PAYMENTS = 40, 120, 70
CAPABILITIES = {"sync_accounting_live": None, "sync_accounting_once": None}
LIVE = ("sync_accounting_live",)


class QuickBooksDemo:
    def __init__(self, say: Callable[[str], object]) -> None:
        self.say = say
        quickbooks = load_sandbox("sandbox.quickbooks", "`integrations demo`")
        self.sandbox = quickbooks.Sandbox(seed=SEED)
        self.sandbox.add_realm(REALM, "Acme Landscaping")
        self.generated = self.sandbox.generate(REALM, customers=CUSTOMERS, invoices=INVOICES, payments=PAYMENTS)
        self.sandbox.start()
        self.connection_id = None
        say(f"QuickBooks sandbox on {self.sandbox.base_url}: company {REALM}, {self.generated['customers']} "
            f"customers, {self.generated['invoices']} invoices, {self.generated['payments']} payments")

    def env(self) -> dict[str, str]:
        return self.sandbox.env()

    def connect(self, url: str, tenant_id, step: Callable[[str], object]) -> None:
        """`integrations connect quickbooks` as a function (the demo plays the browser)."""
        from worker.crypto import keyring_from_settings
        from worker.providers.quickbooks.auth.connect import connect_quickbooks
        from worker.settings import get_settings

        step(f"connecting QuickBooks company {REALM} for the tenant (Intuit OAuth 2; the consent names the realm)")
        settings = get_settings()
        browsers = []

        def on_url(consent: str) -> None:
            self.say(f"consent URL: {consent[:100]}…")
            browsers.append(consent_in_background(consent))

        row = connect_quickbooks(url, settings, keyring_from_settings(settings), tenant_id=tenant_id,
                                 profile_id=None, account=REALM, capabilities=CAPABILITIES, on_url=on_url, timeout=60)
        for browser in browsers:
            browser.join(10)
        self.connection_id = row["id"]
        self.say(f"connection {row['id']} {row['status']}, account (realm) {row['account_id']},"
                 f" scope: {' '.join(row['granted_scopes'])}")

    async def defer_live(self) -> None:
        from worker.tasks.dispatch import defer_live

        for capability in LIVE:
            await defer_live(self.connection_id, capability)

    def show(self, conn, tenant_id, echo: Callable[[str], object]) -> None:
        """The customers owing most and the newest invoices, from the product tables once built."""
        present = conn.execute(query("schema.relation_exists"), {"relation": "product.invoices"}).fetchone()["present"]
        if not present:
            staged = conn.execute(query("quickbooks.demo_staged_counts"), {"tenant_id": tenant_id}).fetchall()
            echo("  QuickBooks (staged; product.customers and product.invoices are not built yet): "
                 + ", ".join(f"{r['n']} {r['resource_type']}" for r in staged))
            return
        echo("  customers owing most (product.customers)")
        for c in conn.execute(query("quickbooks.demo_customers"), {"tenant_id": tenant_id, "limit": 5}):
            echo(f"    {c['display_name'][:44]:<44} {c['email'] or '-':<32} {c['balance']:>10} {c['currency']}"
                 + ("" if c["is_active"] else "  (inactive)"))
        echo("  newest invoices (product.invoices)")
        for i in conn.execute(query("quickbooks.demo_invoices"), {"tenant_id": tenant_id, "limit": 6}):
            echo(f"    #{i['doc_number']:<6} {str(i['issued_on']):<11} due {str(i['due_on']):<11}"
                 f" {i['total']:>10} {i['currency']}  open {i['balance']:>9}  {i['status']:<15}"
                 f" {(i['customer'] or '')[:30]}")

    def stop(self) -> None:
        self.sandbox.stop()
