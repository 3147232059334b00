"""The query language over HTTP: filters on MetaData.LastUpdatedTime and other fields, ORDERBY,
STARTPOSITION/MAXRESULTS paging and its 1000 cap, the default that hides inactive customers,
COUNT(*), POST as application/text, and parse errors as QBO's 400 ValidationFault."""

from __future__ import annotations

from datetime import datetime, timezone

from sandbox.quickbooks.clock import iso


def add_customers(sb, realm, count, **fields):
    return [sb.import_entity(realm, "customer", {"DisplayName": f"Customer {n:04d}", **fields}) for n in range(count)]


def test_entities_come_as_qbo_returns_them(quickbooks_sandbox, realm, query):
    sb = quickbooks_sandbox
    customer = sb.import_entity(realm, "customer", {
        "GivenName": "Ana", "FamilyName": "Lopez", "CompanyName": "Lopez Bakery",
        "PrimaryEmailAddr": {"Address": "ana@lopez.test"}, "PrimaryPhone": {"FreeFormNumber": "(415) 555-0100"},
        "WebAddr": {"URI": "https://lopez.test"}, "Balance": 10.456})
    invoice = sb.import_entity(realm, "invoice", {
        "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
        "Line": [{"Amount": 100.1, "DetailType": "SalesItemLineDetail"},
                 {"Amount": 20, "DetailType": "SalesItemLineDetail"}]})
    payment = sb.import_entity(realm, "payment", {
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": 150,
        "Line": [{"Amount": 120.1, "LinkedTxn": [{"TxnId": invoice["Id"]}]}]})
    got = query("select * from Customer")["Customer"][0]
    assert got == customer and got["Id"] == "1" and got["SyncToken"] == "0" and got["DisplayName"] == "Ana Lopez"
    assert got["Balance"] == 10.46 and got["Active"] is True and got["CurrencyRef"]["value"] == "USD"
    assert set(got["MetaData"]) == {"CreateTime", "LastUpdatedTime"}
    got = query("select * from Invoice")["Invoice"][0]
    assert got["TotalAmt"] == 120.1 and got["Balance"] == 120.1 and got["CustomerRef"]["value"] == "1"
    assert got["TxnDate"] and got["DueDate"] and got["DocNumber"] and got["EmailStatus"] == "NotSet"
    got = query("select * from Payment")["Payment"][0]
    assert got == payment and got["UnappliedAmt"] == 29.9
    assert got["Line"][0]["LinkedTxn"] == [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]


def test_where_last_updated_orders_and_pages(quickbooks_sandbox, realm, query):
    sb = quickbooks_sandbox
    old = add_customers(sb, realm, 3)
    sb.advance(600)
    cut = iso(sb.world.clock.now())
    sb.advance(1)
    new = add_customers(sb, realm, 5)
    sb.advance(1)
    updated = sb.update_entity(realm, "customer", old[0]["Id"], {"CompanyName": "Renamed"})
    text = f"SELECT * FROM Customer WHERE MetaData.LastUpdatedTime > '{cut}' ORDERBY MetaData.LastUpdatedTime, Id"
    page = query(text + " STARTPOSITION 1 MAXRESULTS 4")
    assert page["startPosition"] == 1 and page["maxResults"] == 4
    assert [c["Id"] for c in page["Customer"]] == [c["Id"] for c in new[:4]]
    rest = query(text + " STARTPOSITION 5 MAXRESULTS 4")
    assert [c["Id"] for c in rest["Customer"]] == [new[4]["Id"], old[0]["Id"]]  # the update comes last
    assert rest["Customer"][1]["SyncToken"] == "1" and rest["Customer"][1]["CompanyName"] == "Renamed"
    assert query(text + " STARTPOSITION 9 MAXRESULTS 4") == {}
    desc = query("select * from customer orderby Id desc maxresults 2")
    assert [c["Id"] for c in desc["Customer"]] == ["8", "7"]
    # the update's own time in UTC ('Z'), not the clock's now: the queries above may cross a second
    utc = datetime.fromisoformat(updated["MetaData"]["LastUpdatedTime"]).astimezone(timezone.utc) \
        .strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(query(f"select * from Customer where MetaData.LastUpdatedTime >= '{utc}'")["Customer"]) == 1


def test_other_filters(quickbooks_sandbox, realm, query):
    sb = quickbooks_sandbox
    ana = sb.import_entity(realm, "customer", {"DisplayName": "Ana's Bakery", "Balance": 50})
    sb.import_entity(realm, "customer", {"DisplayName": "Ben Books", "Balance": 5})
    sb.import_entity(realm, "invoice", {"CustomerRef": {"value": ana["Id"]}, "TotalAmt": 10, "TxnDate": "2026-01-05"})
    sb.import_entity(realm, "invoice", {"CustomerRef": {"value": ana["Id"]}, "TotalAmt": 20, "TxnDate": "2026-02-05"})
    assert query("select * from Customer where DisplayName = 'Ana\\'s Bakery'")["Customer"][0]["Id"] == ana["Id"]
    assert [c["DisplayName"] for c in query("select * from Customer where DisplayName like 'B%'")["Customer"]] == \
        ["Ben Books"]
    assert query("select count(*) from Customer where Balance > 10") == {"totalCount": 1}
    assert query("select count(*) from Invoice where CustomerRef = '1' and TxnDate >= '2026-02-01'") == \
        {"totalCount": 1}
    assert query("select count(*) from Invoice where Id in ('1', '2', '99')") == {"totalCount": 2}


def test_inactive_customers_only_when_asked(quickbooks_sandbox, realm, query):
    sb = quickbooks_sandbox
    add_customers(sb, realm, 3)
    sb.set_active(realm, "2", False)
    assert [c["Id"] for c in query("select * from Customer")["Customer"]] == ["1", "3"]
    assert query("select count(*) from Customer") == {"totalCount": 2}
    both = query("select * from Customer where Active in (true, false)")["Customer"]
    assert [(c["Id"], c["Active"]) for c in both] == [("1", True), ("2", False), ("3", True)]
    assert [c["Id"] for c in query("select * from Customer where Active = false")["Customer"]] == ["2"]


def test_maxresults_defaults_to_100_and_is_capped_at_1000(quickbooks_sandbox, realm, query):
    sb = quickbooks_sandbox
    add_customers(sb, realm, 1005)
    assert query("select * from Customer")["maxResults"] == 100
    capped = query("select * from Customer maxresults 5000")
    assert capped["maxResults"] == 1000 and len(capped["Customer"]) == 1000
    assert len(query("select * from Customer startposition 1001 maxresults 1000")["Customer"]) == 5
    assert query("select count(*) from Customer") == {"totalCount": 1005}


def test_deleted_entities_leave_the_query(quickbooks_sandbox, realm, query):
    sb = quickbooks_sandbox
    add_customers(sb, realm, 2)
    sb.delete_entity(realm, "customer", "1")
    assert [c["Id"] for c in query("select * from Customer where Active in (true, false)")["Customer"]] == ["2"]


def test_post_as_application_text_and_read_by_id(quickbooks_sandbox, realm, api):
    sb = quickbooks_sandbox
    add_customers(sb, realm, 2)
    answer = api.post("/query?minorversion=75", content=b"select * from Customer where Id = '2'",
                      headers={"Content-Type": "application/text"})
    assert answer.status_code == 200 and answer.json()["QueryResponse"]["Customer"][0]["Id"] == "2"
    assert answer.json()["time"].endswith("-08:00")
    assert api.get("/customer/2").json()["Customer"]["Id"] == "2"
    missing = api.get("/invoice/7")
    assert missing.status_code == 400 and missing.json()["Fault"]["Error"][0]["code"] == "610"


def test_parse_errors_are_validation_faults(api):
    for text in ("select * frm Customer", "select * from Customer where", "select * from Customer where Id = 1 or Id = 2",
                 "select * from Customer maxresults ten", "select * from Customer where Id = '1"):
        answer = api.get("/query", params={"query": text})
        assert answer.status_code == 400, text
        fault = answer.json()["Fault"]
        assert fault["type"] == "ValidationFault" and fault["Error"][0]["code"] == "4000", text
        assert set(fault["Error"][0]) == {"Message", "Detail", "code"}
    unknown = api.get("/query", params={"query": "select * from Vendor"})
    assert unknown.status_code == 400 and unknown.json()["Fault"]["Error"][0]["code"] == "4001"
