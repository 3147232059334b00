"""The admin HTTP API (imports as DESIGN.md names them, changes, tokens, reset), the generated
company's consistency, the fixtures' env, and ``integrations sandbox serve --print-env`` naming the
QuickBooks settings after Twilio's."""

from __future__ import annotations

import os

import httpx
from click.testing import CliRunner

from sandbox.cli import sandbox as sandbox_group


def test_admin_imports_changes_and_deletes(quickbooks_sandbox, api):
    sb = quickbooks_sandbox
    admin = f"{sb.base_url}/_sandbox/quickbooks/companies/123145700000002"
    made = httpx.post(f"{admin}/customer", json={"DisplayName": "Imported", "PrimaryEmailAddr": {"Address": "a@b.test"}})
    assert made.status_code == 200 and made.json()["Id"] == "1" and made.json()["SyncToken"] == "0"
    assert "123145700000002" in sb.accounts()  # unknown realms are created
    given = httpx.post(f"{admin}/invoice", json={"Id": "42", "CustomerRef": {"value": "1"}, "TotalAmt": 12.5})
    assert given.json()["Id"] == "42" and given.json()["Balance"] == 12.5
    assert sb.import_entity("123145700000002", "invoice", {"TotalAmt": 1})["Id"] == "43"  # ids go on after a given one
    changed = httpx.patch(f"{admin}/customer/1", json={"CompanyName": "Acme"}).json()
    assert changed["SyncToken"] == "1" and changed["CompanyName"] == "Acme"
    assert httpx.put(f"{admin}/customer/1/active", json={"active": False}).json()["Active"] is False
    assert httpx.post(f"{admin}/invoice/42/void").json()["PrivateNote"] == "Voided"
    stone = httpx.delete(f"{admin}/invoice/43").json()
    assert stone["status"] == "Deleted" and stone["Id"] == "43"
    listed = httpx.get(f"{admin}/invoice").json()["entities"]
    assert [i["Id"] for i in listed] == ["42"]
    assert httpx.patch(f"{admin}/invoice/43", json={}).status_code == 404
    assert httpx.post(f"{admin}/vendor", json={}).status_code == 404
    assert httpx.post(f"{sb.base_url}/_sandbox/quickbooks/companies/not-a-number/customer", json={}).status_code == 400


def test_admin_tokens_expire_advance_settings_and_reset(quickbooks_sandbox, realm, api):
    sb = quickbooks_sandbox
    base = f"{sb.base_url}/_sandbox/quickbooks"
    answer = httpx.post(f"{base}/companies/{realm}/tokens").json()
    assert answer["token_type"] == "bearer" and answer["refresh_token"].startswith("AB11")
    assert httpx.post(f"{base}/companies/{realm}/expire").json()["expired"] >= 2
    assert api.get("/query", params={"query": "select * from Customer"}).status_code == 401
    settings = httpx.put(f"{base}/settings", json={"refresh_grace_seconds": 0, "access_token_lifetime": 5}).json()
    assert settings == {"refresh_grace_seconds": 0.0, "access_token_lifetime": 5.0}
    httpx.post(f"{base}/advance", json={"seconds": 10})
    assert sb.world.clock.advanced == 10
    summary = httpx.post(f"{base}/companies/{realm}/generate", json={"customers": 5, "invoices": 10, "payments": 4})
    assert summary.json() == {"realm_id": realm, "customers": 5, "invoices": 10, "payments": 4}
    assert httpx.post(f"{sb.base_url}/_sandbox/reset").status_code == 200
    assert sb.entities(realm, "customer") == [] and sb.refresh_grace_seconds == 30.0
    assert sb.tokens.access_token_lifetime == 3600.0 and sb.world.clock.advanced == 0


def test_the_generated_company_adds_up(quickbooks_sandbox, realm, query):
    sb = quickbooks_sandbox
    assert sb.generate(realm, customers=30, invoices=80, payments=50, seed=3) == \
        {"realm_id": realm, "customers": 30, "invoices": 80, "payments": 50}
    customers = sb.entities(realm, "customer")
    invoices = sb.entities(realm, "invoice")
    payments = sb.entities(realm, "payment")
    assert any(not c["Active"] for c in customers) and any(i["PrivateNote"] == "Voided" for i in invoices
                                                           if "PrivateNote" in i)
    applied: dict[str, float] = {}
    for payment in payments:
        for line in payment["Line"]:
            for linked in line["LinkedTxn"]:
                applied[linked["TxnId"]] = applied.get(linked["TxnId"], 0) + line["Amount"]
        assert round(payment["TotalAmt"] - sum(l["Amount"] for l in payment["Line"]), 2) == payment["UnappliedAmt"]
    for invoice in invoices:
        if invoice.get("PrivateNote") != "Voided":
            assert round(invoice["TotalAmt"] - applied.get(invoice["Id"], 0), 2) == invoice["Balance"]
    for customer in customers:
        owed = sum(i["Balance"] for i in invoices if i["CustomerRef"]["value"] == customer["Id"])
        assert round(owed, 2) == customer["Balance"]
    again = type(sb)(seed=0)
    again.generate(realm, customers=30, invoices=80, payments=50, seed=3)
    assert [c["DisplayName"] for c in again.entities(realm, "customer")] == [c["DisplayName"] for c in customers]
    assert query("select count(*) from Invoice") == {"totalCount": 80}


def test_env_fixture_sets_the_three_settings(quickbooks_sandbox_env):
    sb = quickbooks_sandbox_env
    assert os.environ["INTEGRATIONS_QUICKBOOKS_BASE_URL"] == sb.base_url
    assert os.environ["INTEGRATIONS_QUICKBOOKS_CLIENT_ID"] == sb.client_id
    assert os.environ["INTEGRATIONS_QUICKBOOKS_CLIENT_SECRET"] == sb.client_secret


def test_serve_prints_quickbooks_settings_after_twilios_and_serves(monkeypatch):
    seen = {}
    output: list[str] = []

    def probe():  # instead of serving forever: call the QuickBooks sandbox while it runs
        env = dict(line.split("=", 1) for line in output if "=" in line)
        seen["discovery"] = httpx.get(env["INTEGRATIONS_QUICKBOOKS_BASE_URL"] + "/.well-known/openid-configuration")
        seen["env"] = env

    monkeypatch.setattr("sandbox.core.cli.click.echo", lambda line="": output.append(str(line)))
    monkeypatch.setattr("sandbox.core.cli.wait_forever", probe)
    result = CliRunner().invoke(sandbox_group, ["serve", "--port", "0", "--print-env", "--quota", "0",
                                                "--quickbooks-port", "0"])
    assert result.exit_code == 0, result.output
    names = [line.split("=", 1)[0] for line in output]
    assert names[-5:] == ["INTEGRATIONS_TWILIO_BASE_URL", "INTEGRATIONS_QUICKBOOKS_BASE_URL",
                          "INTEGRATIONS_QUICKBOOKS_CLIENT_ID", "INTEGRATIONS_QUICKBOOKS_CLIENT_SECRET",
                          "INTEGRATIONS_QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN"]
    assert seen["discovery"].status_code == 200
    assert seen["discovery"].json()["token_endpoint"] == seen["env"]["INTEGRATIONS_QUICKBOOKS_BASE_URL"] + \
        "/oauth2/v1/tokens/bearer"


def test_serve_help_names_the_quickbooks_port():
    result = CliRunner().invoke(sandbox_group, ["serve", "--help"])
    assert result.exit_code == 0 and "--quickbooks-port" in result.output
