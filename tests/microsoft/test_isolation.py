"""Two providers in one tenant: a Google and a Microsoft connection never stop or touch each other."""

import uuid

import pytest
from click.testing import CliRunner

from tests.gmail.conftest import gsb, mailbox  # noqa: F401  (fixtures: a Gmail mailbox)
from worker.cli import cli
from worker.db.connect import connect

pytestmark = pytest.mark.asyncio


async def test_a_revoked_microsoft_grant_never_stops_google_of_the_same_tenant(mailbox, outlook):
    google = mailbox()
    microsoft = outlook(email="cleo@tenant.example", tenant_id=google.tenant_id)
    google.add("In Gmail")
    microsoft.add("In Outlook")
    microsoft.sandbox.revoke_refresh_tokens(microsoft.email)
    await microsoft.run_live()
    await google.run_live()
    assert microsoft.row()["status"] == "needs_reauth"
    assert microsoft.states()[""]["status"] == "needs_reauth"
    assert google.row()["status"] == "active" and google.state()["status"] == "ok"
    assert [h["payload"]["snippet"] for h in google.heads().values()] == ["hello"]


async def test_deleting_the_microsoft_connection_keeps_googles_data_and_says_the_grant_is_the_owners(mailbox,
                                                                                                     outlook):
    google = mailbox()
    # an address no other test's connection holds: a shared account keeps its grant, which says otherwise
    microsoft = outlook(email=f"cleo.{uuid.uuid4().hex[:8]}@tenant.example", tenant_id=google.tenant_id)
    google.add("In Gmail")
    microsoft.add("In Outlook")
    await google.run_live()
    await microsoft.run_live()
    assert microsoft.raw_count() == 1

    result = CliRunner().invoke(cli, ["connections", "delete", str(microsoft.id), "--yes"])
    assert result.exit_code == 0, result.output
    assert "no way to revoke" in result.output and "https://myapps.microsoft.com" in result.output
    with connect(microsoft.url) as conn:
        left = conn.execute("select count(*) as n from integrations.raw_records where connection_id = %s",
                            (microsoft.id,)).fetchone()["n"]
    assert left == 0 and len(google.heads()) == 1 and google.row()["status"] == "active"
