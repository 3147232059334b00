"""`integrations demo` end to end, small: a fresh database on the test server, the in-process
sandbox, both users connected through OAuth, syncs, normalize, lifecycle, zero-call reprocess,
then a second run (the demo is idempotent)."""

from __future__ import annotations

import os
import re

import pytest
from click.testing import CliRunner

from worker.cli import cli
from worker.db.connect import connect
from worker.demo.errors import DemoFailed
from worker.demo.push import ARRIVAL_SECONDS, Serve
from worker.demo.quickbooks import REALM as QUICKBOOKS_REALM
from worker.demo.slack import TEAM as SLACK_TEAM
from worker.demo.world import ANA, BEN, CLEO, DEMO_TENANT, PUSHED_MAIL, SHARED_MEETINGS, SHARED_WITH_OUTLOOK
from worker.settings import get_settings

SMALL = ["--messages", "60", "--events", "8", "--concurrency", "2"]
STEPS = ["migrating", "starting the Google sandbox", "starting the Microsoft 365 sandbox", f"connecting {ANA}",
         f"connecting {BEN}", f"connecting {CLEO}", "connecting Twilio account",
         "running a worker until the first syncs finish", "normalizing raw records", "summary",
         "lifecycle", "running the live syncs again", "sending an email", "creating a meeting",
         "what changed", "push: starting `integrations serve`", "pointing the Google sandbox's Pub/Sub",
         "push: a worker in the background", "push: new mail arrives", "reprocess", "explore"]
PUSHED = re.compile(r"new mail '(.+)' arrived by push in ([\d.]+)s \(Pub/Sub push -> serve -> sync job -> normalize\)")


@pytest.fixture
def demo_db(settings_env, make_database, monkeypatch):
    """An empty database of its own (the demo migrates it), so no other test's jobs are around."""
    url = make_database.create(migrated=False, prefix="demo")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    for name in ("INTEGRATIONS_GOOGLE_BASE_URL", "INTEGRATIONS_GOOGLE_CLIENT_ID",
                 "INTEGRATIONS_GOOGLE_CLIENT_SECRET", "INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE",
                 "INTEGRATIONS_MICROSOFT_BASE_URL", "INTEGRATIONS_MICROSOFT_CLIENT_ID",
                 "INTEGRATIONS_MICROSOFT_CLIENT_SECRET", "INTEGRATIONS_MICROSOFT_CA_BUNDLE",
                 "INTEGRATIONS_TWILIO_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    return url


def run_demo(*args: str):
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo", *SMALL, *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def steps(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("==> ")]


def emails_by_subject(conn, subject: str) -> list[dict]:
    return conn.execute(
        "select e.email_id, e.direction, array_agg(c.account_id order by c.account_id) as accounts"
        " from product.emails e join product.email_mailboxes m on m.email_id = e.email_id"
        " join integrations.connections c on c.id = m.connection_id"
        " where e.tenant_id = %s and e.subject = %s group by e.email_id, e.direction",
        (DEMO_TENANT, subject)).fetchall()


def assert_pushed(output: str) -> None:
    """serve ran, answered the sandbox's Pub/Sub push 200, the mail reached product.emails in time,
    and serve is gone afterwards."""
    shown = steps(output)
    assert shown.index(next(s for s in shown if "push: new mail arrives" in s)) \
        < shown.index(next(s for s in shown if "reprocess" in s))
    assert re.search(r"serving on http://127\.0\.0\.1:\d+ ", output)
    assert re.search(r"2 Gmail watches on the sandbox's topic", output)
    assert re.search(r"delivered 1 push to /webhooks/google/gmail: serve answered 200 in", output), output
    arrived = PUSHED.search(output)
    assert arrived, output
    assert arrived.group(1) == PUSHED_MAIL and float(arrived.group(2)) < ARRIVAL_SECONDS
    assert re.search(r"google:sync_inbox_live succeeded \(enqueued by serve for the push\)", output)
    assert f"{ANA} sync_inbox_live push=receiving, 1 notification(s)" in output
    # an operator's scrape of serve during the push step: the push counted, the jobs and connections seen
    scraped = re.search(r"serve's /metrics: (\d+) families, e\.g\. webhook_notifications=(\d+), jobs=(\d+),"
                        r" sync_live_capabilities=(\d+), connections=(\d+), workers_alive=(\d+)", output)
    assert scraped, output
    assert int(scraped[1]) >= 10 and all(int(scraped[i]) > 0 for i in (2, 3, 4, 5, 6)), scraped[0]
    assert "background worker stopped" in output
    pid = int(re.search(r"pid (\d+)\)", output).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # serve was stopped (and reaped) when the demo ended


def test_demo_end_to_end_twice(demo_db):
    output = run_demo()
    shown = steps(output)
    for expected in STEPS:
        assert any(expected in line for line in shown), f"no step '{expected}' in:\n" + "\n".join(shown)
    assert_pushed(output)
    assert "provider API calls during reprocess: 0" in output
    assert "the same row counts as before" in output
    assert re.search(r"syncs finished in [\d.]+s with \d+ provider API calls", output)
    for model in ("product.emails", "product.email_participants", "product.email_mailboxes",
                  "product.meetings", "product.meeting_attendees"):
        assert re.search(rf"^    {re.escape(model)}\s+[1-9]\d*$", output, re.M), f"no count for {model}"

    with connect(demo_db) as conn:
        connections = conn.execute("select provider, account_id, status from integrations.connections"
                                   " where tenant_id = %s order by account_id", (DEMO_TENANT,)).fetchall()
        users = [(c["account_id"], c["status"]) for c in connections if c["provider"] in ("google", "microsoft")]
        assert users == [(ANA, "active"), (BEN, "active"), (CLEO, "active")]
        [twilio] = [c for c in connections if c["provider"] == "twilio"]
        assert twilio["status"] == "active" and twilio["account_id"].startswith("AC")
        staged = {r["resource_type"]: r["n"] for r in conn.execute(
            "select resource_type, count(distinct external_id) as n from integrations.raw_records"
            " where tenant_id = %s and resource_type like 'twilio.%%' group by 1", (DEMO_TENANT,))}
        assert staged["twilio.message"] >= 100 and staged["twilio.call"] >= 30
        text = conn.execute("select status, attempts from integrations.outbound where idempotency_key = 'demo-sms'"
                            " and tenant_id = %s", (DEMO_TENANT,)).fetchone()
        assert (text["status"], text["attempts"]) == ("done", 1)
        assert "newest texts" in output and "newest calls" in output
        [slack] = [c for c in connections if c["provider"] == "slack"]
        assert (slack["account_id"], slack["status"]) == (SLACK_TEAM, "active")
        chat = conn.execute("select count(*) as n, count(distinct author_address) as authors from product.chat_messages"
                            " where tenant_id = %s and not is_deleted", (DEMO_TENANT,)).fetchone()
        assert chat["n"] >= 60 and chat["authors"] >= 3  # the demo users' addresses reach the CRM
        post = conn.execute("select status, attempts from integrations.outbound"
                            " where idempotency_key = 'demo-slack-post' and tenant_id = %s", (DEMO_TENANT,)).fetchone()
        assert (post["status"], post["attempts"]) == ("done", 1)
        assert "newest chat messages (product.chat_messages" in output
        [quickbooks] = [c for c in connections if c["provider"] == "quickbooks"]
        assert (quickbooks["account_id"], quickbooks["status"]) == (QUICKBOOKS_REALM, "active")
        books = {r["resource_type"]: r["n"] for r in conn.execute(
            "select resource_type, count(distinct external_id) as n from integrations.raw_records"
            " where tenant_id = %s and resource_type like 'quickbooks.%%' group by 1", (DEMO_TENANT,))}
        assert (books["quickbooks.customer"], books["quickbooks.invoice"]) == (40, 120)
        assert books["quickbooks.payment"] >= 50
        crm = conn.execute("select (select count(*) from product.customers where tenant_id = %(t)s) as customers,"
                           " (select count(*) from product.invoices where tenant_id = %(t)s) as invoices,"
                           " (select count(distinct status) from product.invoices where tenant_id = %(t)s) as statuses",
                           {"t": DEMO_TENANT}).fetchone()
        assert (crm["customers"], crm["invoices"]) == (40, 120) and crm["statuses"] >= 3
        assert "customers owing most (product.customers)" in output and "newest invoices (product.invoices)" in output
        per_user = conn.execute(
            "select c.account_id, count(*) as n from product.email_mailboxes m"
            " join integrations.connections c on c.id = m.connection_id where c.tenant_id = %s"
            " group by c.account_id order by 1", (DEMO_TENANT,)).fetchall()
        assert [r["account_id"] for r in per_user] == [ANA, BEN, CLEO] and all(r["n"] >= 10 for r in per_user)
        # the same message in both mailboxes is one email with two mailbox rows
        doubled = conn.execute("select message_id_header from product.emails where tenant_id = %s and"
                               " message_id_header is not null group by 1 having count(*) > 1",
                               (DEMO_TENANT,)).fetchall()
        assert doubled == []
        shared = emails_by_subject(conn, "Shared: team update")
        assert shared and all(r["accounts"] == [ANA, BEN] for r in shared)
        # lifecycle: new mail (one of them in both mailboxes) and the sent email
        assert [r["accounts"] for r in emails_by_subject(conn, "Signed order form attached")] == [[ANA, BEN]]
        assert [r["accounts"] for r in emails_by_subject(conn, "Invoice 5120 due")] == [[ANA]]
        # the push step: its mail in Ana's mailbox, the push recorded for her inbox sync
        assert [r["accounts"] for r in emails_by_subject(conn, PUSHED_MAIL)] == [[ANA]]
        assert conn.execute("select p.notifications from integrations.push_received p join integrations.connections c"
                            " on c.id = p.connection_id where c.tenant_id = %s and c.account_id = %s"
                            " and p.capability = 'sync_inbox_live'", (DEMO_TENANT, ANA)).fetchone()["notifications"] == 1
        # one email in Ana's Gmail and Cleo's Outlook; one meeting in Ana's Google and Cleo's Outlook calendar
        assert [r["accounts"] for r in emails_by_subject(conn, SHARED_WITH_OUTLOOK)] == [[ANA, CLEO]]
        assert "one email in a Gmail and an Outlook mailbox is one email" in output
        assert re.search(rf"{re.escape(SHARED_WITH_OUTLOOK)}.*\s2\s*$", output, re.M)
        across = conn.execute(
            "select m.title, count(distinct u.provider) as providers from product.meetings m"
            " join integrations_staging.int_calendar_events_unioned u on u.meeting_id = m.meeting_id"
            " where m.tenant_id = %s and m.title = %s group by m.meeting_id, m.title",
            (DEMO_TENANT, SHARED_MEETINGS[2])).fetchall()
        assert [(r["title"], r["providers"]) for r in across] == [(SHARED_MEETINGS[2], 2)]
        sent = emails_by_subject(conn, "Kick-off next week")
        assert len(sent) == 1 and sent[0]["direction"] == "outbound" and ANA in sent[0]["accounts"]
        # meetings in both calendars are one meeting each; the changes were applied
        meetings = {r["title"]: r for r in conn.execute(
            "select title, status, count(*) over (partition by ical_uid) as copies from product.meetings"
            " where tenant_id = %s", (DEMO_TENANT,)).fetchall()}
        assert meetings[SHARED_MEETINGS[0] + " (moved)"]["status"] == "confirmed"
        assert meetings[SHARED_MEETINGS[1]]["status"] == "cancelled"
        assert meetings[SHARED_MEETINGS[2]]["status"] == "confirmed"
        assert all(meetings[t]["copies"] == 1 for t in (SHARED_MEETINGS[0] + " (moved)", *SHARED_MEETINGS[1:]))
        assert "Acme kick-off with Carla" in meetings
        first = conn.execute("select (select count(*) from product.emails where tenant_id = %(t)s) as emails,"
                             " (select count(*) from product.meetings where tenant_id = %(t)s) as meetings",
                             {"t": DEMO_TENANT}).fetchone()

    again = run_demo()
    assert any("resetting demo tenant" in line for line in steps(again))
    assert "full refresh after the reset" in again
    assert "provider API calls during reprocess: 0" in again
    assert_pushed(again)  # a second run's pushes are new Pub/Sub messages, not redeliveries
    with connect(demo_db) as conn:
        assert conn.execute("select count(*) as n from integrations.connections where tenant_id = %s",
                            (DEMO_TENANT,)).fetchone()["n"] == 6
        second = conn.execute("select (select count(*) from product.emails where tenant_id = %(t)s) as emails,"
                              " (select count(*) from product.meetings where tenant_id = %(t)s) as meetings",
                              {"t": DEMO_TENANT}).fetchone()
    assert second == first


def test_demo_stop_without_embedded_server(settings_env):
    result = CliRunner().invoke(cli, ["demo", "--stop"], catch_exceptions=False)
    assert result.exit_code == 0 and "nothing to stop" in result.output


def test_demo_failure_exits_1_naming_the_step(settings_env, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo", *SMALL])
    assert result.exit_code == 1
    assert "error: the demo failed at migrating the integrations schema: database at 127.0.0.1:1 did not answer" in result.output  # noqa: E501
    assert "127.0.0.1:1" in result.output


def test_a_serve_that_cannot_start_fails_the_step_with_its_log(settings_env, tmp_path):
    env = {**os.environ, "INTEGRATIONS_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}
    with pytest.raises(DemoFailed) as failed:
        Serve(env)
    assert "`integrations serve` exited with" in str(failed.value) and "its log:" in str(failed.value)
    assert "127.0.0.1:1" in str(failed.value)  # serve's own words about the database
