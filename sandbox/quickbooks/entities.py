"""The three entities the sandbox serves -- Customer, Invoice, Payment -- as QBO's API returns them.

An import may leave out what QBO always fills; ``complete`` adds it: ``Id`` (the realm's next for
that entity), ``SyncToken`` "0", ``MetaData {CreateTime, LastUpdatedTime}`` (now), ``domain``
"QBO", ``sparse`` false, ``CurrencyRef`` USD; Customer ``Active`` true, ``DisplayName`` from the
names, ``Balance`` 0; Invoice and Payment ``TotalAmt`` from their lines, Invoice ``Balance`` = its
total; Payment ``UnappliedAmt`` = total - applied. Money is rounded to cents and written as a
JSON number (``12.5``, ``0``), as QBO writes it.

A voided invoice stays, as QBO shows it: amounts 0, ``PrivateNote`` "Voided", its lines at 0
(``void``). A deleted entity is a tombstone ``{"Id", "status": "Deleted", "domain", "MetaData":
{"LastUpdatedTime"}}`` that only CDC shows.
"""

from __future__ import annotations

import copy
from datetime import datetime

from .clock import iso

NAMES = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment"}
USD = {"value": "USD", "name": "United States Dollar"}
MONEY = {"Customer": ("Balance", "BalanceWithJobs"), "Invoice": ("TotalAmt", "Balance"),
         "Payment": ("TotalAmt", "UnappliedAmt")}


def entity_name(entity: str) -> str:
    """``customer``/``Customer`` -> ``Customer``; ValueError for anything else."""
    name = NAMES.get(entity.lower())
    if name is None:
        raise ValueError(f"unknown entity {entity!r}; use customer, invoice or payment")
    return name


def money(value) -> float | int:
    amount = round(float(value or 0), 2)
    return int(amount) if amount == int(amount) else amount


def complete(name: str, obj: dict, entity_id: str, now: datetime) -> dict:
    data = copy.deepcopy(obj)
    data["Id"] = entity_id
    data.setdefault("SyncToken", "0")
    data["SyncToken"] = str(data["SyncToken"])
    data.setdefault("domain", "QBO")
    data.setdefault("sparse", False)
    meta = data.setdefault("MetaData", {})
    meta.setdefault("CreateTime", iso(now))
    meta.setdefault("LastUpdatedTime", meta["CreateTime"])
    data.setdefault("CurrencyRef", dict(USD))
    {"Customer": _customer, "Invoice": _invoice, "Payment": _payment}[name](data)
    for field in MONEY[name]:
        if field in data:
            data[field] = money(data[field])
    return data


def _customer(data: dict) -> None:
    data.setdefault("Active", True)
    if not data.get("DisplayName"):
        names = " ".join(p for p in (data.get("GivenName"), data.get("FamilyName")) if p)
        data["DisplayName"] = names or data.get("CompanyName") or f"Customer {data['Id']}"
    data.setdefault("FullyQualifiedName", data["DisplayName"])
    data.setdefault("PrintOnCheckName", data.get("CompanyName") or data["DisplayName"])
    data.setdefault("Balance", 0)
    data.setdefault("BalanceWithJobs", data["Balance"])
    data.setdefault("Taxable", False)
    data.setdefault("Job", False)
    data.setdefault("PreferredDeliveryMethod", "Print")


def _lines_total(lines: list) -> float:
    return sum(float(line.get("Amount") or 0) for line in lines if line.get("DetailType") != "SubTotalLineDetail")


def _invoice(data: dict) -> None:
    lines = data.setdefault("Line", [])
    for number, line in enumerate(lines, 1):
        line.setdefault("Id", str(number))
        line.setdefault("LineNum", number)
        line.setdefault("DetailType", "SalesItemLineDetail")
        line["Amount"] = money(line.get("Amount"))
    if "TotalAmt" not in data:
        data["TotalAmt"] = _lines_total(lines)
    data.setdefault("Balance", data["TotalAmt"])
    data.setdefault("TxnDate", data["MetaData"]["CreateTime"][:10])
    data.setdefault("DueDate", data["TxnDate"])
    data.setdefault("DocNumber", str(1000 + int(data["Id"])) if data["Id"].isdigit() else data["Id"])
    data.setdefault("EmailStatus", "NotSet")
    data.setdefault("PrintStatus", "NeedToPrint")
    data.setdefault("LinkedTxn", [])


def _payment(data: dict) -> None:
    lines = data.setdefault("Line", [])
    for line in lines:
        line["Amount"] = money(line.get("Amount"))
        for linked in line.setdefault("LinkedTxn", []):
            linked.setdefault("TxnType", "Invoice")
    if "TotalAmt" not in data:
        data["TotalAmt"] = sum(float(line["Amount"]) for line in lines)
    data.setdefault("UnappliedAmt", float(data["TotalAmt"]) - sum(float(line["Amount"]) for line in lines))
    data.setdefault("TxnDate", data["MetaData"]["CreateTime"][:10])
    data.setdefault("ProcessPayment", False)


def void(invoice: dict) -> None:
    """Void an invoice in place, as QBO does: it stays, with every amount 0 and the note "Voided"."""
    invoice["TotalAmt"] = 0
    invoice["Balance"] = 0
    invoice["PrivateNote"] = "Voided"
    for line in invoice.get("Line", []):
        line["Amount"] = 0
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict):
            detail["Qty"] = 0
            detail["UnitPrice"] = 0


def tombstone(entity_id: str, now: datetime) -> dict:
    return {"Id": entity_id, "status": "Deleted", "domain": "QBO", "MetaData": {"LastUpdatedTime": iso(now)}}
