"""CDC over HTTP: changes of the named entities since a time (updates, inactive customers, voided
invoices, deletions as ``status: "Deleted"``), the 30-day limit and the 1000-object cap."""

from __future__ import annotations

from sandbox.quickbooks.clock import iso


def now(sb) -> str:
    return iso(sb.world.clock.now())


def by_entity(answer) -> dict:
    body = answer.json()
    assert answer.status_code == 200, answer.text
    assert set(body) == {"CDCResponse", "time"}
    found = {}
    for part in body["CDCResponse"][0]["QueryResponse"]:
        for key, value in part.items():
            if isinstance(value, list):
                found[key] = value
    return found


def test_changes_since_include_updates_inactive_voided_and_deleted(quickbooks_sandbox, realm, cdc):
    sb = quickbooks_sandbox
    for n in range(3):
        sb.import_entity(realm, "customer", {"DisplayName": f"C{n}"})
    sb.import_entity(realm, "invoice", {"CustomerRef": {"value": "1"}, "Line": [{"Amount": 40}]})
    sb.import_entity(realm, "invoice", {"CustomerRef": {"value": "1"}, "Line": [{"Amount": 60}]})
    sb.advance(60)
    since = now(sb)
    sb.advance(1)
    sb.set_active(realm, "2", False)
    sb.delete_entity(realm, "customer", "3")
    voided = sb.void_invoice(realm, "2")
    found = by_entity(cdc(since))
    assert [c["Id"] for c in found["Customer"]] == ["2", "3"]
    assert found["Customer"][0]["Active"] is False
    assert found["Customer"][1] == {"Id": "3", "status": "Deleted", "domain": "QBO",
                                    "MetaData": {"LastUpdatedTime": now(sb)}}
    assert found["Invoice"] == [voided] and voided["TotalAmt"] == 0 and voided["PrivateNote"] == "Voided"
    assert voided["Line"][0]["Amount"] == 0 and voided["SyncToken"] == "1"
    assert "Payment" not in found
    parts = cdc(since).json()["CDCResponse"][0]["QueryResponse"]
    assert [p["totalCount"] for p in parts] == [2, 1, 0]  # one element per entity asked, in order
    only = by_entity(cdc(since, entities="Invoice"))
    assert list(only) == ["Invoice"]


def test_changed_since_at_most_30_days_back(quickbooks_sandbox, realm, api, cdc):
    sb = quickbooks_sandbox
    sb.import_entity(realm, "customer", {"DisplayName": "Old"})
    since = now(sb)
    sb.advance(29 * 86400)
    api.headers["Authorization"] = f"Bearer {sb.issue_tokens(realm)['access_token']}"  # the old one expired
    assert cdc(since).status_code == 200
    sb.advance(2 * 86400)
    api.headers["Authorization"] = f"Bearer {sb.issue_tokens(realm)['access_token']}"
    too_old = cdc(since)
    assert too_old.status_code == 400
    assert too_old.json()["Fault"]["type"] == "ValidationFault"
    assert "30 days" in too_old.json()["Fault"]["Error"][0]["Detail"]


def test_bad_requests_are_validation_faults(cdc):
    for answer in (cdc("yesterday"), cdc("2026-11-01T00:00:00Z", entities="Vendor"), cdc("", entities="Customer")):
        assert answer.status_code == 400 and answer.json()["Fault"]["type"] == "ValidationFault"


def test_at_most_1000_objects_the_oldest_changes_first(quickbooks_sandbox, realm, cdc):
    sb = quickbooks_sandbox
    since = now(sb)
    for n in range(700):
        sb.import_entity(realm, "customer", {"DisplayName": f"C{n}"})
    sb.advance(1)
    for n in range(400):
        sb.import_entity(realm, "invoice", {"CustomerRef": {"value": "1"}, "TotalAmt": n})
    found = by_entity(cdc(since))
    assert len(found["Customer"]) == 700 and len(found["Invoice"]) == 300  # cut at 1000, nothing says so
    assert [i["Id"] for i in found["Invoice"]] == [str(n) for n in range(1, 301)]
    later = by_entity(cdc(found["Invoice"][-1]["MetaData"]["LastUpdatedTime"], entities="Invoice"))
    assert len(later["Invoice"]) == 400  # a narrower window gets the rest
