"""A seeded company for the demo, benchmarks and tests: customers (about 1 in 10 inactive), invoices
(lines of a few items, due in 30 days; about 1 in 20 voided) and payments applied to invoices (fully
or in part, a few with an unapplied remainder), dated over the last 60 days so that some changes are
older than the CDC's 30 days. Balances agree: an invoice's Balance is its total less what payments
applied, a customer's Balance the sum of its open invoice balances. The same seed gives the same
company."""

from __future__ import annotations

import random
from datetime import timedelta

from . import clock
from .clock import iso
from .entities import money, void

GIVEN = ["Ana", "Ben", "Chloe", "Diego", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Liam",
         "Maya", "Noah", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tara"]
FAMILY = ["Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
          "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel"]
COMPANY = ["Landscaping", "Bakery", "Plumbing", "Design Studio", "Consulting", "Auto Repair", "Dental", "Books"]
ITEMS = [("Hours", 75.0), ("Design", 120.0), ("Gardening", 45.5), ("Installation", 250.0), ("Pest Control", 35.0),
         ("Sprinklers", 4.25), ("Rocks", 12.75)]


def populate(sb, realm_id: str, customers: int, invoices: int, payments: int, seed: int) -> dict:
    rng = random.Random(f"{seed}/quickbooks/{realm_id}")
    now = sb.world.clock.now()
    sb.add_realm(realm_id)

    def moment(days_back_max: float = 60.0):
        return now - timedelta(seconds=rng.randrange(int(days_back_max * 86400)))

    people = []
    for n in range(customers):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        company = f"{family} {rng.choice(COMPANY)}"
        created = moment()
        domain = company.lower().replace(" ", "") + ".test"
        customer = {"GivenName": given, "FamilyName": family, "CompanyName": company,
                    "DisplayName": f"{company} ({given} {family}) #{n + 1}",
                    "PrimaryEmailAddr": {"Address": f"{given.lower()}@{domain}"},
                    "PrimaryPhone": {"FreeFormNumber": f"(415) 555-{rng.randrange(10000):04d}"},
                    "WebAddr": {"URI": f"https://www.{domain}"},
                    "Active": rng.random() >= 0.1 and n % 10 != 9,  # about one in ten, at least one in 10
                    "MetaData": {"CreateTime": iso(created), "LastUpdatedTime": iso(created)}}
        people.append(sb.import_entity(realm_id, "customer", customer))
    made_invoices = []
    for _ in range(invoices if people else 0):
        owner = rng.choice(people)
        created = moment()
        lines = []
        for _ in range(rng.randint(1, 3)):
            name, price = rng.choice(ITEMS)
            qty = rng.randint(1, 12)
            lines.append({"Amount": money(price * qty), "Description": name, "DetailType": "SalesItemLineDetail",
                          "SalesItemLineDetail": {"ItemRef": {"value": str(ITEMS.index((name, price)) + 1),
                                                              "name": name}, "UnitPrice": price, "Qty": qty}})
        invoice = {"CustomerRef": {"value": owner["Id"], "name": owner["DisplayName"]}, "Line": lines,
                   "TxnDate": created.date().isoformat(),
                   "DueDate": (created + timedelta(days=30)).date().isoformat(),
                   "EmailStatus": rng.choice(["NotSet", "EmailSent", "NeedToSend"]),
                   "BillEmail": owner["PrimaryEmailAddr"],
                   "MetaData": {"CreateTime": iso(created), "LastUpdatedTime": iso(created)}}
        made_invoices.append(sb.import_entity(realm_id, "invoice", invoice))
    balances = {inv["Id"]: float(inv["TotalAmt"]) for inv in made_invoices}
    voided = {inv["Id"] for inv in made_invoices if rng.random() < 0.05}
    made_payments = 0
    for _ in range(payments):
        open_ids = [i for i, left in balances.items() if left > 0 and i not in voided]
        if not open_ids:
            break
        chosen = rng.choice(open_ids)
        invoice = next(inv for inv in made_invoices if inv["Id"] == chosen)
        left = balances[invoice["Id"]]
        applied = left if rng.random() < 0.7 else money(left * rng.uniform(0.2, 0.8))
        extra = money(rng.choice([0, 0, 0, 0, 25.0]))
        since = (now - clock.parse(invoice["MetaData"]["CreateTime"])).total_seconds()
        created = now - timedelta(seconds=rng.randrange(max(1, int(since))))
        payment = {"CustomerRef": invoice["CustomerRef"], "TotalAmt": money(applied + extra),
                   "UnappliedAmt": extra, "TxnDate": created.date().isoformat(),
                   "Line": [{"Amount": money(applied), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
                   "MetaData": {"CreateTime": iso(created), "LastUpdatedTime": iso(created)}}
        paid = sb.import_entity(realm_id, "payment", payment)
        balances[invoice["Id"]] = money(left - applied)
        stored = sb.world.realm(realm_id).live["Invoice"][invoice["Id"]]
        stored["LinkedTxn"].append({"TxnId": paid["Id"], "TxnType": "Payment"})
        stored["SyncToken"] = str(int(stored["SyncToken"]) + 1)
        stored["MetaData"]["LastUpdatedTime"] = max(stored["MetaData"]["LastUpdatedTime"], iso(created),
                                                    key=lambda t: clock.parse(t))
        made_payments += 1
    realm = sb.world.realm(realm_id)
    owed: dict[str, float] = {}
    for invoice in made_invoices:
        stored = realm.live["Invoice"][invoice["Id"]]
        if invoice["Id"] in voided:
            void(stored)
            stored["SyncToken"] = str(int(stored["SyncToken"]) + 1)
            continue
        stored["Balance"] = money(balances[invoice["Id"]])
        owed[invoice["CustomerRef"]["value"]] = owed.get(invoice["CustomerRef"]["value"], 0.0) + stored["Balance"]
    for customer in people:
        stored = realm.live["Customer"][customer["Id"]]
        stored["Balance"] = stored["BalanceWithJobs"] = money(owed.get(customer["Id"], 0.0))
    return {"realm_id": realm_id, "customers": len(people), "invoices": len(made_invoices), "payments": made_payments}
