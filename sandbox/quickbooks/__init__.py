"""A local QuickBooks Online: Intuit's OAuth 2 (with rotating refresh tokens) and the Accounting API
v3 reads (query language, CDC, read by Id) over plain HTTP on 127.0.0.1, with QBO's Faults,
per-company throttling and the core's faults and request log (provider "quickbooks"). Intuit's
``intuit-oauth`` client works against it: ``AuthClient(client_id, secret, redirect_uri,
environment=sb.discovery_url)``.

Python API::

    from sandbox.quickbooks import Sandbox

    sb = Sandbox(seed=0, window_seconds=60.0, refresh_grace_seconds=30.0, access_token_lifetime=3600,
                 requests_per_window=500, max_concurrent=10)
    sb.start(host="127.0.0.1", port=0); sb.stop(); sb.reset()           # reset: empty state, same settings
    sb.base_url; sb.discovery_url
    sb.env() -> {"INTEGRATIONS_QUICKBOOKS_BASE_URL", "INTEGRATIONS_QUICKBOOKS_CLIENT_ID",
                 "INTEGRATIONS_QUICKBOOKS_CLIENT_SECRET"}
    sb.add_realm(realm_id=None, name=None) -> realm id                  # generated when None
    sb.DEFAULT_REALM                                                    # consent's company by default
    sb.import_entity(realm, "customer"|"invoice"|"payment", obj) -> obj # Id/SyncToken/MetaData filled
    sb.update_entity(realm, entity, id, {field: value}) -> obj          # SyncToken + 1, LastUpdatedTime now
    sb.delete_entity(realm, entity, id) -> tombstone                    # CDC: status Deleted; query: gone
    sb.set_active(realm, customer_id, False) -> customer                # inactive customer
    sb.void_invoice(realm, invoice_id) -> invoice                       # amounts 0, PrivateNote "Voided"
    sb.entities(realm, entity) -> list[dict]; sb.get_entity(realm, entity, id)
    sb.issue_tokens(realm) -> token answer; sb.revoke(realm); sb.expire_access_tokens(realm)
    sb.refresh_grace_seconds = 0; sb.set_access_token_lifetime(60); sb.consent_as(realm)
    sb.advance(seconds)                                                 # the clock (tokens, grace, CDC's 30 days)
    sb.generate(realm=None, customers=50, invoices=200, payments=120, seed=None) -> summary
    sb.set_quota(requests_per_window=..., window_seconds=..., max_concurrent_per_user=...)
    sb.requests(provider="quickbooks", method_id="query"); sb.add_fault(r"/query", status=503)

Endpoints (``{base}`` = ``sb.base_url``): ``/.well-known/openid-configuration``,
``/connect/oauth2``, ``/oauth2/v1/tokens/bearer``, ``/v2/oauth2/tokens/revoke`` (``oauth``);
``/v3/company/{realmId}/query``, ``/cdc``, ``/{customer|invoice|payment}/{id}`` (``app``, ``query``,
``cdc``); admin under ``{base}/_sandbox/`` (``core.admin`` + ``admin``: ``POST
/_sandbox/quickbooks/companies/{realm_id}/{entity}`` imports).

Modules: ``sandbox`` (the object), ``app`` (pipeline, routes), ``oauth`` (consent, tokens, rotation),
``query`` (the query language), ``cdc``, ``entities`` (what QBO fills, voiding, tombstones),
``state``, ``clock``, ``errors`` (Faults), ``quota``, ``generator``, ``admin``, ``cli``.
"""

from .quota import QuotaConfig
from .sandbox import Sandbox

__all__ = ["QuotaConfig", "Sandbox"]
