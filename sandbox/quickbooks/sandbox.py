"""``Sandbox``: the QuickBooks Online sandbox tests, the demo and the CLI hold -- Intuit OAuth 2 and
the Accounting API v3 reads the QuickBooks provider makes, on the core ``BaseSandbox`` (server,
request log, faults, quota, tokens), with every change a test needs as a plain method (the admin
HTTP API calls these). A core "account" is a company: its realm id.
"""

from __future__ import annotations

from ..core.admin import AdminApi
from ..core.sandbox import BaseSandbox
from ..core.tokens import TokenStore
from ..core.webhooks import Webhooks
from . import entities
from . import webhooks as hooks
from .admin import quickbooks_admin_routes
from .app import QuickBooksApp
from .clock import Clock
from .oauth import SCOPE, QuickBooksOAuth
from .quota import QuickBooksQuota, QuotaConfig
from .state import DEFAULT_REALM, World

DEFAULT_CLIENT_ID = "ABsandboxQuickBooksClientId7Qm2x9Lr4Tz8Wc1Vb5Nn3Kd6"
DEFAULT_CLIENT_SECRET = "sandbox-quickbooks-client-secret-4f1c9e"
DEFAULT_WEBHOOK_VERIFIER_TOKEN = "sandbox-quickbooks-verifier-token-8d2a61"


class Sandbox(BaseSandbox):
    DEFAULT_REALM = DEFAULT_REALM
    SCOPE = SCOPE

    def __init__(self, seed: int = 0, window_seconds: float = 60.0, refresh_grace_seconds: float = 30.0,
                 access_token_lifetime: float = 3600.0, requests_per_window: int | None = 500,
                 max_concurrent: int | None = 10, client_id: str = DEFAULT_CLIENT_ID,
                 client_secret: str = DEFAULT_CLIENT_SECRET,
                 webhook_verifier_token: str = DEFAULT_WEBHOOK_VERIFIER_TOKEN) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.webhook_verifier_token = webhook_verifier_token
        self.webhooks = Webhooks()
        self.webhook_format = "legacy"
        self._defaults = (refresh_grace_seconds, access_token_lifetime)
        self.refresh_grace_seconds = refresh_grace_seconds
        self.access_token_lifetime = access_token_lifetime
        super().__init__(seed, QuickBooksQuota(QuotaConfig(requests_per_window, window_seconds, max_concurrent)))

    # -- core seams ----------------------------------------------------------------------------
    def new_world(self) -> World:
        return World(self.seed, Clock())

    def new_tokens(self) -> TokenStore:
        return TokenStore(self.client_id, self.client_secret, self.access_token_lifetime, "eyJlbmMiOiJBMTI4Q0JDLUhT.",
                          "AB11", clock=self.world.clock.seconds)

    def new_app(self, admin: AdminApi) -> QuickBooksApp:
        self.oauth = QuickBooksOAuth(self.tokens, self.world, self.world.clock, lambda: self.refresh_grace_seconds)
        return QuickBooksApp(self.world, self.oauth, self.quota, self.faults, self.log, lambda: self.base_url, admin)

    def admin_routes(self) -> list[tuple]:
        return quickbooks_admin_routes(self)

    def env(self) -> dict[str, str]:
        return {
            "INTEGRATIONS_QUICKBOOKS_BASE_URL": self.base_url,
            "INTEGRATIONS_QUICKBOOKS_CLIENT_ID": self.client_id,
            "INTEGRATIONS_QUICKBOOKS_CLIENT_SECRET": self.client_secret,
            "INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": self.webhook_verifier_token,
        }

    def reset(self) -> None:
        """Empty state (the default realm only), faults, log, throttle spending; settings as constructed."""
        self.refresh_grace_seconds, self.access_token_lifetime = self._defaults
        self.webhooks.reset()
        self.webhook_format = "legacy"
        super().reset()

    @property
    def discovery_url(self) -> str:
        """What intuit-oauth's ``AuthClient(environment=...)`` takes to use this sandbox."""
        return f"{self.base_url}/.well-known/openid-configuration"

    # -- realms and tokens ---------------------------------------------------------------------
    def add_realm(self, realm_id: str | None = None, name: str | None = None) -> str:
        """The company `realm_id` (a generated number when None), created when new."""
        return self.world.ensure_realm(realm_id, name).id

    def add_account(self, email: str) -> str:
        return self.add_realm(email)

    def issue_tokens(self, realm_id: str, scopes=(SCOPE,), offline: bool = True) -> dict:
        """Skip consent: a token answer for `realm_id` as if its admin had just connected the app."""
        with self.world.lock:
            self.world.ensure_realm(realm_id)
            return self.oauth.issue(str(realm_id), scopes or (SCOPE,))

    def revoke(self, realm_id: str) -> int:
        """Disconnect the app from the company: every token of the realm answers 401 / invalid_grant."""
        with self.world.lock:
            return self.oauth.revoke_realm(str(realm_id))

    def revoke_refresh_tokens(self, email: str | None = None, refresh_token: str | None = None) -> int:
        with self.world.lock:
            return self.tokens.revoke_account(email, refresh_token)

    def expire_access_tokens(self, realm_id: str | None = None) -> int:
        """Every access token of the realm (all when None) answers 401 3200 from now on."""
        with self.world.lock:
            return self.tokens.expire_access_tokens(str(realm_id) if realm_id else None)

    def set_access_token_lifetime(self, seconds: float) -> None:
        self.access_token_lifetime = seconds
        self.tokens.access_token_lifetime = seconds

    def consent_as(self, realm_id: str | None) -> None:
        """Every later consent picks this company whatever the request asks (None: the request's)."""
        self.tokens.consent_as = str(realm_id) if realm_id else None

    # -- entities ------------------------------------------------------------------------------
    def import_entity(self, realm_id: str, entity: str, obj: dict) -> dict:
        """Store a Customer, Invoice or Payment (``entity`` customer|invoice|payment) as QBO returns it;
        Id, SyncToken, MetaData and what QBO always fills are added when missing (``entities``).
        A given Id replaces (or revives) that entity. The realm is created when unknown."""
        name = entities.entity_name(entity)
        with self.world.lock:
            existed = str(obj.get("Id")) in self.world.ensure_realm(str(realm_id)).live[name]
            data = dict(self.world.put(str(realm_id), entity, obj))
        self._emit(realm_id, name, data, "Update" if existed else "Create")
        return data

    def update_entity(self, realm_id: str, entity: str, entity_id: str, changes: dict) -> dict:
        """Change fields of a live entity, as an edit in QBO would: SyncToken + 1, LastUpdatedTime now."""
        data = dict(self.world.change(str(realm_id), entity, str(entity_id), lambda data: data.update(changes)))
        self._emit(realm_id, entities.entity_name(entity), data, "Update")
        return data

    def delete_entity(self, realm_id: str, entity: str, entity_id: str) -> dict:
        """Delete: queries no longer return it, CDC shows ``{"Id", "status": "Deleted", ...}``."""
        stone = dict(self.world.delete(str(realm_id), entity, str(entity_id)))
        self._emit(realm_id, entities.entity_name(entity), stone, "Delete")
        return stone

    def set_active(self, realm_id: str, customer_id: str, active: bool) -> dict:
        """Make a customer inactive (QBO's "delete" of a customer) or active again."""
        data = dict(self.world.change(str(realm_id), "customer", str(customer_id),
                                      lambda data: data.update(Active=bool(active))))
        self._emit(realm_id, "Customer", data, "Update")
        return data

    def void_invoice(self, realm_id: str, invoice_id: str) -> dict:
        """Void an invoice: it stays, amounts 0, ``PrivateNote`` "Voided" (``entities.void``)."""
        data = dict(self.world.change(str(realm_id), "invoice", str(invoice_id), entities.void))
        self._emit(realm_id, "Invoice", data, "Void")
        return data

    def entities(self, realm_id: str, entity: str) -> list[dict]:
        """The live entities of a kind, by Id (inactive customers and voided invoices included)."""
        name = entities.entity_name(entity)
        with self.world.lock:
            live = self.world.realm(str(realm_id)).live[name].values()
            return sorted((dict(e) for e in live), key=lambda e: (len(e["Id"]), e["Id"]))

    def get_entity(self, realm_id: str, entity: str, entity_id: str) -> dict:
        with self.world.lock:
            return dict(self.world.realm(str(realm_id)).get(entities.entity_name(entity), str(entity_id)))

    # -- webhooks to the app's public URL (misbehave, hold/release: self.webhooks) ---------------
    def set_public_url(self, url: str | None, fmt: str | None = None) -> None:
        """From now on every entity imported, changed, deleted or voided is notified to
        ``url + /webhooks/quickbooks`` (None: stop), in ``fmt`` ``legacy`` or ``cloudevents``."""
        if fmt is not None:
            if fmt not in hooks.FORMATS:
                raise ValueError(f"unknown webhook format {fmt!r}; use {' or '.join(hooks.FORMATS)}")
            self.webhook_format = fmt
        self.webhooks.set_public_url(url)

    def _emit(self, realm_id: str, name: str, data: dict, operation: str) -> None:
        if self.webhooks.public_url is None:
            return
        when = (data.get("MetaData") or {}).get("LastUpdatedTime") or ""
        raw = hooks.body(self.webhook_format, str(realm_id), name, str(data["Id"]), operation, when)
        token = self.webhook_verifier_token

        def sign(payload: bytes, attempt: int) -> dict:
            return {"Content-Type": "application/json", "intuit-signature": hooks.sign(token, payload)}

        self.webhooks.emit(hooks.PATH, raw, sign, "intuit-signature")

    # -- clock ---------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the sandbox clock on: later changes are dated that much later, access tokens and
        refresh grace periods run out, the CDC's 30-day limit moves."""
        with self.world.lock:
            self.world.clock.advance(seconds)

    # -- generated data ------------------------------------------------------------------------
    def generate(self, realm_id: str | None = None, customers: int = 50, invoices: int = 200, payments: int = 120,
                 seed: int | None = None) -> dict:
        """Populate a company (the default realm when None) with customers (some inactive), invoices
        (open, overdue, partly or fully paid, some voided) and payments linked to them, dated over the
        last 60 days. Returns ``{"realm_id", "customers", "invoices", "payments"}`` (counts)."""
        from .generator import populate

        with self.world.lock:
            return populate(self, str(realm_id or DEFAULT_REALM), customers, invoices, payments,
                            self.seed if seed is None else seed)
