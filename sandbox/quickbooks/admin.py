"""QuickBooks's admin endpoints under ``/_sandbox/``, added to the core's (``core.admin``): the
changes of ``Sandbox`` over HTTP. Imports take entities as the API returns them; unknown realms
are created.

    POST   /_sandbox/quickbooks/companies                          {realm_id?, name?} -> {realm_id}
    POST   /_sandbox/quickbooks/companies/{realm}/{entity}         entity as QBO returns it -> stored entity
    GET    /_sandbox/quickbooks/companies/{realm}/{entity}         -> {entities: [...]} (live, by Id)
    PATCH  /_sandbox/quickbooks/companies/{realm}/{entity}/{id}    {field: value...} -> entity (SyncToken+1)
    DELETE /_sandbox/quickbooks/companies/{realm}/{entity}/{id}    -> tombstone (CDC shows it Deleted)
    PUT    /_sandbox/quickbooks/companies/{realm}/customer/{id}/active   {active} -> customer
    POST   /_sandbox/quickbooks/companies/{realm}/invoice/{id}/void      -> invoice
    POST   /_sandbox/quickbooks/companies/{realm}/tokens           -> token answer (consent skipped)
    POST   /_sandbox/quickbooks/companies/{realm}/revoke           -> {revoked}
    POST   /_sandbox/quickbooks/companies/{realm}/expire           -> {expired}
    POST   /_sandbox/quickbooks/advance                            {seconds}
    PUT    /_sandbox/quickbooks/settings                           {refresh_grace_seconds?, access_token_lifetime?}
    POST   /_sandbox/quickbooks/companies/{realm}/generate         {customers?, invoices?, payments?, seed?}
    PUT    /_sandbox/quickbooks/webhooks     {public_url?, bad_signature?, duplicates?, hold?}: notifications
    POST   /_sandbox/quickbooks/webhooks/release   {reverse?}: send the held notifications (newest first)

``{entity}`` is ``customer``, ``invoice`` or ``payment``.
"""

from __future__ import annotations

from ..core.webhooks import webhook_admin_routes

REALM = r"(?P<realm>[^/]+)"
ENTITY = r"(?P<entity>customer|invoice|payment)"
ID = r"(?P<entity_id>[^/]+)"
P = "/_sandbox/quickbooks"


def quickbooks_admin_routes(sb) -> list[tuple]:
    """``(method, regex, handler)`` for the core ``AdminApi``; handlers call ``sb`` (a ``Sandbox``)."""

    def add_realm(req):
        body = req.json()
        return {"realm_id": sb.add_realm(body.get("realm_id"), body.get("name"))}

    def import_entity(req, realm, entity):
        return sb.import_entity(realm, entity, req.json())

    def list_entities(req, realm, entity):
        return {"entities": sb.entities(realm, entity)}

    def update_entity(req, realm, entity, entity_id):
        return sb.update_entity(realm, entity, entity_id, req.json())

    def delete_entity(req, realm, entity, entity_id):
        return sb.delete_entity(realm, entity, entity_id)

    def set_active(req, realm, entity_id):
        return sb.set_active(realm, entity_id, bool(req.json()["active"]))

    def void(req, realm, entity_id):
        return sb.void_invoice(realm, entity_id)

    def tokens(req, realm):
        return sb.issue_tokens(realm)

    def revoke(req, realm):
        return {"revoked": sb.revoke(realm)}

    def expire(req, realm):
        return {"expired": sb.expire_access_tokens(realm)}

    def advance(req):
        sb.advance(float(req.json()["seconds"]))

    def settings(req):
        body = req.json()
        if "refresh_grace_seconds" in body:
            sb.refresh_grace_seconds = float(body["refresh_grace_seconds"])
        if "access_token_lifetime" in body:
            sb.set_access_token_lifetime(float(body["access_token_lifetime"]))
        return {"refresh_grace_seconds": sb.refresh_grace_seconds,
                "access_token_lifetime": sb.tokens.access_token_lifetime}

    def generate(req, realm):
        body = req.json()
        return sb.generate(realm, body.get("customers", 50), body.get("invoices", 200), body.get("payments", 120),
                           body.get("seed"))

    return [
        ("POST", rf"{P}/companies", add_realm),
        ("POST", rf"{P}/companies/{REALM}/tokens", tokens),
        ("POST", rf"{P}/companies/{REALM}/revoke", revoke),
        ("POST", rf"{P}/companies/{REALM}/expire", expire),
        ("POST", rf"{P}/companies/{REALM}/generate", generate),
        ("PUT", rf"{P}/companies/{REALM}/customer/{ID}/active", set_active),
        ("POST", rf"{P}/companies/{REALM}/invoice/{ID}/void", void),
        ("POST", rf"{P}/companies/{REALM}/{ENTITY}", import_entity),
        ("GET", rf"{P}/companies/{REALM}/{ENTITY}", list_entities),
        ("PATCH", rf"{P}/companies/{REALM}/{ENTITY}/{ID}", update_entity),
        ("DELETE", rf"{P}/companies/{REALM}/{ENTITY}/{ID}", delete_entity),
        ("POST", rf"{P}/advance", advance),
        ("PUT", rf"{P}/settings", settings),
        *webhook_admin_routes(P, sb.webhooks),
    ]
