"""QuickBooks Online entities as the accounting sync stages them (`quickbooks.customer`,
`quickbooks.invoice`, `quickbooks.payment` raw records, external_id the entity's Id), and the helpers
that stage them through the store's own staging function.

The shapes follow the Customer, Invoice and Payment entities of the Accounting API v3 as query and
CDC answers carry them (the sandbox's `entities.py` fills the same fields): money as JSON numbers,
TxnDate / DueDate as ISO dates, MetaData times with the company's offset; a deletion is CDC's
tombstone. Values are the tests' own."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import date

from worker.store.staging import ProviderJson, RawObject, stage_records

CAPABILITY = "sync_accounting_live"
TIME = "2026-11-20T09:30:00-08:00"


def create_quickbooks_connection(conn, tenant_id: uuid.UUID, realm_id: str) -> uuid.UUID:
    """A tenant-owned `quickbooks` connection (profile_id NULL) whose account_id is the realm id."""
    conn.execute("insert into integrations.providers (provider, ownership) values ('quickbooks', 'tenant')"
                 " on conflict do nothing")
    return conn.execute(
        "insert into integrations.connections (tenant_id, profile_id, provider, ownership, account_id)"
        " values (%s, null, 'quickbooks', 'tenant', %s) returning id",
        (tenant_id, realm_id),
    ).fetchone()["id"]


def meta(updated: str = TIME, created: str = TIME) -> dict:
    return {"CreateTime": created, "LastUpdatedTime": updated}


def customer(qbo_id: str, *, display_name: str | None = None, company: str | None = "Acme Landscaping",
             given: str = "Ann", family: str = "Lopez", email: str | None = "ann@acme-landscaping.test",
             phone: str | None = "(415) 555-0100", web: str | None = None, active: bool = True,
             balance: float | int = 0, currency: str = "USD", updated: str = TIME, sync_token: str = "0") -> dict:
    """A Customer as QBO returns it (optional contact fields left out when None, as QBO does)."""
    data = {"Id": qbo_id, "SyncToken": sync_token, "domain": "QBO", "sparse": False,
            "DisplayName": display_name or f"{company or given} #{qbo_id}", "GivenName": given,
            "FamilyName": family, "Active": active, "Balance": balance, "BalanceWithJobs": balance,
            "CurrencyRef": {"value": currency, "name": "United States Dollar"},
            "Taxable": False, "Job": False, "MetaData": meta(updated)}
    if company is not None:
        data["CompanyName"] = company
    if email is not None:
        data["PrimaryEmailAddr"] = {"Address": email}
    if phone is not None:
        data["PrimaryPhone"] = {"FreeFormNumber": phone}
    if web is not None:
        data["WebAddr"] = {"URI": web}
    return data


def invoice(qbo_id: str, *, customer_id: str = "1", total: float | int = 100, balance: float | int | None = None,
            issued: date | str = "2026-11-01", due: date | str | None = "2026-12-01", note: str | None = None,
            payments: tuple[str, ...] = (), currency: str = "USD", updated: str = TIME) -> dict:
    """An Invoice as QBO returns it: one line of the total, Balance = total unless given."""
    data = {"Id": qbo_id, "SyncToken": "0", "domain": "QBO", "sparse": False, "DocNumber": str(1000 + int(qbo_id)),
            "TxnDate": str(issued), "CustomerRef": {"value": customer_id, "name": f"Customer {customer_id}"},
            "CurrencyRef": {"value": currency, "name": "United States Dollar"},
            "Line": [{"Id": "1", "LineNum": 1, "Amount": total, "DetailType": "SalesItemLineDetail",
                      "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Hours"}, "Qty": 1,
                                              "UnitPrice": total}},
                     {"Amount": total, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}],
            "TotalAmt": total, "Balance": total if balance is None else balance,
            "LinkedTxn": [{"TxnId": p, "TxnType": "Payment"} for p in payments],
            "EmailStatus": "NotSet", "PrintStatus": "NeedToPrint", "MetaData": meta(updated)}
    if due is not None:
        data["DueDate"] = str(due)
    if note is not None:
        data["PrivateNote"] = note
    return data


def voided_invoice(qbo_id: str, **fields) -> dict:
    """An invoice voided in QBO: it stays, every amount 0 and the memo "Voided"."""
    data = invoice(qbo_id, **fields)
    data.update(TotalAmt=0, Balance=0, PrivateNote="Voided")
    for line in data["Line"]:
        line["Amount"] = 0
    return data


def payment(qbo_id: str, *, customer_id: str = "1", amount: float | int = 100, unapplied: float | int = 0,
            applied: dict[str, float | int] | None = None, paid: date | str = "2026-11-15",
            currency: str = "USD", updated: str = TIME) -> dict:
    """A Payment as QBO returns it: one line per invoice it pays ({invoice Id: amount applied})."""
    lines = [{"Amount": amount_applied, "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}
             for invoice_id, amount_applied in (applied or {}).items()]
    return {"Id": qbo_id, "SyncToken": "0", "domain": "QBO", "sparse": False, "TxnDate": str(paid),
            "CustomerRef": {"value": customer_id, "name": f"Customer {customer_id}"},
            "CurrencyRef": {"value": currency, "name": "United States Dollar"},
            "TotalAmt": amount, "UnappliedAmt": unapplied, "ProcessPayment": False, "Line": lines,
            "MetaData": meta(updated)}


def exact(entity: dict, **amounts: str) -> RawObject:
    """The entity as QBO's own bytes with amounts written exactly as given (`TotalAmt="98765432109876.54"`):
    more digits than a float carries, as the provider stages the answer's text unchanged."""
    marked = {**entity, **{key: f"@@{key}@@" for key in amounts}}
    text = json.dumps(marked)
    for key, literal in amounts.items():
        text = text.replace(f'"@@{key}@@"', literal)
    return RawObject(entity["Id"], ProviderJson(json.loads(text), text))


def deleted(qbo_id: str, when: str = "2026-11-25T10:00:00-08:00") -> RawObject:
    """CDC's answer for an entity deleted in QBO: a tombstone."""
    return RawObject(qbo_id, {"Id": qbo_id, "status": "Deleted", "domain": "QBO",
                              "MetaData": {"LastUpdatedTime": when}}, is_deleted=True)


def stage(conn, connection_id, tenant_id, entity: str, objects: list[dict | RawObject]):
    """Stage Customers, Invoices or Payments (`entity` customer | invoice | payment) as the sync does."""
    rows = [o if isinstance(o, RawObject) else RawObject(o["Id"], o) for o in objects]
    return stage_records(conn, connection_id, tenant_id, CAPABILITY, f"quickbooks.{entity}", rows)


def product_key(tenant_id, realm_id: str, qbo_id: str) -> str:
    """customer_id / invoice_id / payment_id: md5(tenant | quickbooks | realm id | Id) as a uuid."""
    return str(uuid.UUID(hashlib.md5(f"{tenant_id}|quickbooks|{realm_id}|{qbo_id}".encode()).hexdigest()))
