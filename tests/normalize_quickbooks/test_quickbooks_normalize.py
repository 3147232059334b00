"""QuickBooks Online customers, invoices and payments (query / CDC entities staged as
`quickbooks.customer`, `quickbooks.invoice`, `quickbooks.payment`) become product.customers,
product.invoices and product.payments: money as exact numerics, dates and times typed; email lower
case, phone E.164, the company's domain; every invoice status, `overdue` re-evaluated when only the
calendar moved; CDC's tombstone keeps the content with is_deleted; inactive customers stay; keys
hold the realm so two companies (and two tenants) with the same Ids never collide; a poison record is
quarantined while its neighbours normalize; a removed connection takes its rows; incremental runs
equal a full refresh.

The world is normalized once (`world`), then changed and normalized incrementally once, as of a day
three weeks later (`later`), which keeps what it saw before; tests of the first build only read
records the later run leaves alone, so the tests pass in any order."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from sandbox.quickbooks.sandbox import Sandbox
from tests.normalize.helpers import dbt, dump, query
from tests.normalize_quickbooks.quickbooks_payloads import (
    create_quickbooks_connection,
    customer,
    deleted,
    exact,
    invoice,
    payment,
    product_key,
    stage,
    voided_invoice,
)
from worker.connections import delete_connection
from worker.db.connect import connect
from worker.normalize import dbt_vars

ACME, INITECH, HOOLI, GENERATED = "9130354500000001", "9130354500000002", "9130354500000003", "4620816365"
TABLES = ("product.customers", "product.invoices", "product.payments")
# only what QuickBooks feeds (and, on a new database, every quarantine model normalize_quarantine
# unions); a test runs when all it reads is built (not another provider's product tests, which read
# the connections source too)
FIRST_BUILD = ["+customers", "+invoices", "+payments", "+normalize_quarantine"]
CAUTIOUS = ["--indirect-selection", "cautious"]
QUICKBOOKS = ["stg_quickbooks__customers+", "stg_quickbooks__invoices+", "stg_quickbooks__payments+"]
TODAY = date.today()
LATER = TODAY + timedelta(days=21)


@pytest.fixture(scope="module")
def world(make_database, tmp_path_factory):
    url = make_database.create(prefix="nz_qbo")
    tenant, other_tenant, generated_tenant = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with connect(url) as conn:
        acme = create_quickbooks_connection(conn, tenant, ACME)
        initech = create_quickbooks_connection(conn, tenant, INITECH)
        hooli = create_quickbooks_connection(conn, tenant, HOOLI)
        other = create_quickbooks_connection(conn, other_tenant, ACME)
        stage(conn, acme, tenant, "customer", [
            customer("1", email="Ann@Acme-Landscaping.TEST", web="https://www.Acme-Landscaping.test/contact",
                     balance=179.7),
            customer("2", company=None, given="Bob", family="Gray", email="bob.gray@gmail.com",
                     phone="+44 20 7946 0958", active=False),
            customer("3", company="Globex", email="cleo@globex.test", phone="front desk"),
            customer("4", company="Soon Gone Ltd"),
            customer("5", updated="2026-11-31T09:00:00-08:00"),  # no such day: poison
            customer("6", company="Hooli", email="gavin@hooli.test", phone="415.555.0199",
                     web="hooli-xyz.test:8080/about"),
        ])
        stage(conn, acme, tenant, "customer", [deleted("4")])
        stage(conn, acme, tenant, "invoice", [
            voided_invoice("101"),
            invoice("102", total=250.5, balance=0, payments=("201",)),
            invoice("103", total=100, balance=99.7, due=TODAY - timedelta(days=10), payments=("202", "203")),
            invoice("104", total=80, due=TODAY - timedelta(days=10)),
            invoice("105", total=60, due=TODAY + timedelta(days=10)),
            invoice("106", total=40, due=TODAY + timedelta(days=30)),
            {**invoice("107"), "TxnDate": "2026-02-30"},  # poison
            invoice("108", total=12.34, due=TODAY + timedelta(days=30), note="deleted later"),
        ])
        stage(conn, acme, tenant, "payment", [
            payment("201", amount=250.5, applied={"102": 250.5}),
            payment("202", amount=0.1, applied={"103": 0.1}),
            payment("203", amount=0.2, applied={"103": 0.2}),
            payment("204", customer_id="3", amount=25, unapplied=25),
            exact(payment("205", customer_id="3"), TotalAmt="98765432109876.54", UnappliedAmt="98765432109876.54"),
        ])
        stage(conn, initech, tenant, "customer", [customer("1", company="Initech", email="peter@initech.test")])
        stage(conn, initech, tenant, "invoice", [invoice("101", total=42)])
        stage(conn, hooli, tenant, "customer", [customer("1", company="Hooli", email="gavin@hooli.test")])
        stage(conn, hooli, tenant, "invoice", [invoice("101", total=99)])
        stage(conn, other, other_tenant, "customer", [customer("1", company="Other tenant's Acme")])
        stage(conn, other, other_tenant, "invoice", [invoice("101", total=7)])
        generated = create_quickbooks_connection(conn, generated_tenant, GENERATED)
        company = Sandbox(seed=7)
        company.generate(GENERATED, customers=12, invoices=40, payments=25)
        for entity in ("customer", "invoice", "payment"):
            stage(conn, generated, generated_tenant, entity, company.entities(GENERATED, entity))
        conn.commit()
    world = {"url": url, "tenant": tenant, "other_tenant": other_tenant, "generated_tenant": generated_tenant,
             "acme": acme, "initech": initech, "hooli": hooli, "other": other, "generated": generated,
             "runs": tmp_path_factory.mktemp("dbt-runs")}
    dbt(url, world["runs"], select=FIRST_BUILD, extra_args=CAUTIOUS)
    return world


@pytest.fixture(scope="module")
def later(world):
    """Three weeks on: invoice 108 deleted at QBO (CDC's tombstone), customer 5 fixed, the Hooli
    connection removed, nothing else changed; one incremental run as of that day."""
    before = {"105": invoice_row(world, "105"), "106": invoice_row(world, "106"),
              "hooli_customer": customer_row(world, "1", realm=HOOLI),
              "poison_customer": query(world["url"], "select reason from integrations_staging.normalize_quarantine"
                                                     " where connection_id = %s and external_id = '5'",
                                       (world["acme"],))}
    with connect(world["url"]) as conn:
        stage(conn, world["acme"], world["tenant"], "invoice", [deleted("108")])
        stage(conn, world["acme"], world["tenant"], "customer", [customer("5", company="Fixed Inc")])
        delete_connection(conn, world["hooli"])
        conn.commit()
    variables = {**dbt_vars(), "as_of_date": LATER.isoformat()}
    dbt(world["url"], world["runs"], select=QUICKBOOKS, variables=variables)
    return {"before": before, "variables": variables}


def rows(world, table: str, tenant=None) -> list[dict]:
    return query(world["url"], f"select * from {table} where tenant_id = %s order by external_id",
                 (tenant or world["tenant"],))


def customer_row(world, qbo_id: str, realm=ACME, tenant=None) -> dict | None:
    found = query(world["url"], "select * from product.customers where customer_id = %s",
                  (product_key(tenant or world["tenant"], realm, qbo_id),))
    return found[0] if found else None


def invoice_row(world, qbo_id: str, realm=ACME, tenant=None) -> dict | None:
    found = query(world["url"], "select * from product.invoices where invoice_id = %s",
                  (product_key(tenant or world["tenant"], realm, qbo_id),))
    return found[0] if found else None


def payment_row(world, qbo_id: str) -> dict:
    [found] = query(world["url"], "select * from product.payments where payment_id = %s",
                    (product_key(world["tenant"], ACME, qbo_id),))
    return found


def test_money_is_exact_numeric_and_dates_and_times_are_typed(world):
    types = query(world["url"], "select table_name, column_name, data_type from information_schema.columns"
                                " where table_schema = 'product' and column_name in"
                                " ('balance', 'total', 'amount', 'unapplied_amount', 'issued_on', 'paid_on')")
    assert {(t["table_name"], t["column_name"]): t["data_type"] for t in types} == {
        ("customers", "balance"): "numeric", ("invoices", "total"): "numeric", ("invoices", "balance"): "numeric",
        ("payments", "amount"): "numeric", ("payments", "unapplied_amount"): "numeric",
        ("invoices", "issued_on"): "date", ("payments", "paid_on"): "date"}
    # every digit QBO sent (through float8: 98765432109876.5), and 0.1 + 0.2 is 0.3 exactly
    big = payment_row(world, "205")
    assert (big["amount"], big["unapplied_amount"]) == (Decimal("98765432109876.54"), Decimal("98765432109876.54"))
    [paid] = query(world["url"], "select sum(amount) as total from product.payments where payment_id in (%s, %s)",
                   (product_key(world["tenant"], ACME, "202"), product_key(world["tenant"], ACME, "203")))
    assert paid["total"] == Decimal("0.3")
    partly = invoice_row(world, "103")
    assert (partly["total"], partly["balance"], partly["amount_paid"]) == (Decimal("100"), Decimal("99.7"),
                                                                          Decimal("0.3"))
    assert customer_row(world, "1")["balance"] == Decimal("179.7")
    paid_invoice = invoice_row(world, "102")
    assert (paid_invoice["issued_on"], paid_invoice["due_on"], paid_invoice["doc_number"], paid_invoice["currency"]) == (
        date(2026, 11, 1), date(2026, 12, 1), "1102", "USD")
    assert customer_row(world, "1")["updated_at"] == datetime(2026, 11, 20, 17, 30, tzinfo=timezone.utc)
    unapplied = payment_row(world, "204")
    assert (unapplied["amount"], unapplied["unapplied_amount"], unapplied["paid_on"], unapplied["invoice_ids"]) == (
        Decimal("25"), Decimal("25"), date(2026, 11, 15), [])


def test_every_invoice_status(world):
    statuses = {n: (invoice_row(world, n)["status"], invoice_row(world, n)["is_past_due"])
                for n in ("101", "102", "103", "104", "106")}
    assert statuses == {"101": ("voided", False), "102": ("paid", False), "103": ("partially_paid", True),
                        "104": ("overdue", True), "106": ("open", False)}


def test_invoices_and_payments_carry_the_keys_of_their_customer_and_each_other(world):
    paid_invoice, partly = invoice_row(world, "102"), invoice_row(world, "103")
    assert str(paid_invoice["customer_id"]) == product_key(world["tenant"], ACME, "1")
    assert paid_invoice["customer_id"] == customer_row(world, "1")["customer_id"]
    assert [str(p) for p in partly["payment_ids"]] == sorted(product_key(world["tenant"], ACME, n)
                                                             for n in ("202", "203"))
    assert payment_row(world, "201")["invoice_ids"] == [paid_invoice["invoice_id"]]
    assert payment_row(world, "204")["customer_id"] == customer_row(world, "3")["customer_id"]


def test_email_is_lower_case_phone_e164_and_the_raw_phone_kept(world):
    ann, bob, cleo = customer_row(world, "1"), customer_row(world, "2"), customer_row(world, "3")
    assert (ann["email"], ann["phone"], ann["phone_raw"]) == ("ann@acme-landscaping.test", "+14155550100",
                                                              "(415) 555-0100")
    assert (bob["email"], bob["phone"]) == ("bob.gray@gmail.com", "+442079460958")
    assert (cleo["phone"], cleo["phone_raw"]) == (None, "front desk")


def test_domain_from_the_web_address_else_a_company_email(world):
    domains = {n: customer_row(world, n)["domain"] for n in ("1", "2", "3", "6")}
    assert domains == {
        "1": "acme-landscaping.test",  # https://www.Acme-Landscaping.test/contact
        "2": None,                     # gmail.com says nothing about the company, and no web address
        "3": "globex.test",            # no web address: the email's domain
        "6": "hooli-xyz.test",         # the web address wins over the email's hooli.test
    }


def test_an_inactive_customer_stays_flagged(world):
    bob = customer_row(world, "2")
    assert (bob["is_active"], bob["is_deleted"], bob["display_name"]) == (False, False, "Bob #2")
    assert customer_row(world, "1")["is_active"] is True


def test_a_deleted_customer_keeps_its_content(world):
    gone = customer_row(world, "4")
    assert (gone["is_deleted"], gone["company_name"], gone["email"]) == (True, "Soon Gone Ltd",
                                                                         "ann@acme-landscaping.test")
    assert gone["deleted_at"] == datetime(2026, 11, 25, 18, 0, tzinfo=timezone.utc)


def test_the_same_ids_in_two_companies_and_two_tenants_never_collide(world):
    acme, initech = customer_row(world, "1"), customer_row(world, "1", realm=INITECH)
    assert (acme["company_name"], initech["company_name"]) == ("Acme Landscaping", "Initech")
    assert (acme["connection_id"], initech["connection_id"]) == (world["acme"], world["initech"])
    ours = {(r["connection_id"], r["external_id"]): (r["total"], r["customer_id"])
            for r in rows(world, "product.invoices") if r["external_id"] == "101"
            and r["connection_id"] in (world["acme"], world["initech"])}  # Hooli's goes away with `later`
    assert ours == {(world["acme"], "101"): (Decimal("0"), acme["customer_id"]),
                    (world["initech"], "101"): (Decimal("42"), initech["customer_id"])}
    other = customer_row(world, "1", tenant=world["other_tenant"])
    assert other["company_name"] == "Other tenant's Acme"
    assert str(other["customer_id"]) == product_key(world["other_tenant"], ACME, "1")
    assert acme["customer_id"] != other["customer_id"]
    [other_invoice] = rows(world, "product.invoices", tenant=world["other_tenant"])
    assert (other_invoice["total"], other_invoice["customer_id"]) == (Decimal("7"), other["customer_id"])
    assert {r["connection_id"] for r in rows(world, "product.customers", tenant=world["other_tenant"])} == {
        world["other"]}


def test_a_poison_record_is_quarantined_while_its_neighbours_normalize(world):
    reasons = query(world["url"], "select resource_type, external_id, reason from integrations_staging.normalize_quarantine"
                                  " where resource_type like 'quickbooks.%%' and tenant_id = %s order by 1, 2",
                    (world["tenant"],))
    assert [(r["resource_type"], r["external_id"], r["reason"]) for r in reasons if r["external_id"] == "107"] == [
        ("quickbooks.invoice", "107", "impossible TxnDate: 2026-02-30")]
    assert invoice_row(world, "107") is None
    assert invoice_row(world, "106")["status"] == "open"


def test_a_generated_company_normalizes_whole_and_its_balances_agree(world):
    """The sandbox's generated company (what the provider stages from it): nothing quarantined, every
    reference resolves, and each customer's Balance is exactly the sum of its invoices' balances."""
    tenant = world["generated_tenant"]
    assert query(world["url"], "select * from integrations_staging.normalize_quarantine where tenant_id = %s",
                 (tenant,)) == []
    counts = {t: len(rows(world, t, tenant=tenant)) for t in TABLES}
    assert counts == {"product.customers": 12, "product.invoices": 40, "product.payments": 25}
    assert query(world["url"], """
        select c.external_id, c.balance, coalesce(sum(i.balance), 0) as owed
        from product.customers as c left join product.invoices as i on i.customer_id = c.customer_id
        where c.tenant_id = %s group by c.external_id, c.balance having c.balance <> coalesce(sum(i.balance), 0)
        """, (tenant,)) == []
    assert query(world["url"], """
        select p.external_id from product.payments as p cross join unnest(p.invoice_ids) as paid (invoice_id)
        where p.tenant_id = %s and not exists (select 1 from product.invoices as i where i.invoice_id = paid.invoice_id)
        """, (tenant,)) == []
    statuses = {r["status"] for r in rows(world, "product.invoices", tenant=tenant)}
    assert {"paid", "voided"} <= statuses


def test_an_open_invoice_becomes_overdue_on_a_later_run_when_only_the_day_moved(world, later):
    before, after = later["before"]["105"], invoice_row(world, "105")
    assert (before["status"], before["is_past_due"]) == ("open", False)
    assert (after["status"], after["is_past_due"], after["past_due_on"]) == ("overdue", True,
                                                                             TODAY + timedelta(days=11))
    assert invoice_row(world, "106")["status"] == later["before"]["106"]["status"] == "open"  # due after LATER


def test_a_tombstone_on_a_later_run_keeps_the_invoice_with_is_deleted(world, later):
    gone = invoice_row(world, "108")
    assert (gone["is_deleted"], gone["total"], gone["doc_number"]) == (True, Decimal("12.34"), "1108")


def test_a_fixed_record_leaves_the_quarantine_and_a_removed_connection_takes_its_rows(world, later):
    assert later["before"]["poison_customer"] == [
        {"reason": "impossible MetaData.LastUpdatedTime: 2026-11-31T09:00:00-08:00"}]
    assert customer_row(world, "5")["company_name"] == "Fixed Inc"
    assert query(world["url"], "select 1 from integrations_staging.normalize_quarantine where connection_id = %s"
                               " and external_id = '5'", (world["acme"],)) == []
    assert later["before"]["hooli_customer"]["company_name"] == "Hooli"
    for table in TABLES:
        assert query(world["url"], f"select 1 from {table} where connection_id = %s", (world["hooli"],)) == []
    # the same Id in the tenant's other companies stays
    assert customer_row(world, "1")["company_name"] == "Acme Landscaping"
    assert customer_row(world, "1", realm=INITECH)["company_name"] == "Initech"
    assert customer_row(world, "1", tenant=world["other_tenant"])["company_name"] == "Other tenant's Acme"


def test_incremental_runs_equal_a_full_refresh(world, later):
    incremental = {t: dump(world["url"], t) for t in TABLES}
    assert all(incremental.values())
    dbt(world["url"], world["runs"], select=QUICKBOOKS, full_refresh=True, variables=later["variables"])
    assert {t: dump(world["url"], t) for t in TABLES} == incremental
