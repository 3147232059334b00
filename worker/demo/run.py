"""The demo's steps, in order. Each prints `==> what it does`; any failure stops the demo with
`DemoFailed` naming the step."""

from __future__ import annotations

import asyncio
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

from worker.demo import report
from worker.demo.errors import DemoFailed
from worker.demo.push import PushDemo
from worker.demo.quickbooks import LIVE as QUICKBOOKS_LIVE
from worker.demo.quickbooks import QuickBooksDemo
from worker.demo.slack import LIVE as SLACK_LIVE
from worker.demo.slack import SlackDemo
from worker.demo.twilio import LIVE as TWILIO_LIVE
from worker.demo.twilio import TwilioDemo
from worker.demo.world import (
    ANA,
    BEN,
    CLEO,
    DEMO_TENANT,
    MICROSOFT_USERS,
    USERS,
    add_new_mail,
    change_meetings,
    consent_in_background,
    share_with_outlook,
    start_microsoft_sandbox,
    start_sandbox,
)
from worker.store import query

# all five Google capabilities; two-way calendar and drafts so every scope is asked for
CAPABILITIES = {"sync_inbox_live": None, "sync_inbox_once": None, "send_email": {"drafts": True},
                "sync_calendar_live": {"two_way": True}, "sync_calendar_once": None}
# Cleo's Outlook: the same five; her calendar window reaches back to the demo's 2024 meetings
MICROSOFT_CAPABILITIES = {"sync_inbox_live": None, "sync_inbox_once": None, "send_email": None,
                          "sync_calendar_live": {"past_days": 3650}, "sync_calendar_once": None}
LIVE = ("sync_inbox_live", "sync_calendar_live")
SYNC_QUEUES = ["default"]  # normalization runs in the foreground so its output can be shown


@dataclass
class DemoOptions:
    messages: int = 1500          # per user
    events: int = 40              # per user
    quota_units: int = 30000      # sandbox Gmail quota units per user per minute
    concurrency: int = 4
    step_timeout: float = 300.0
    verbose: bool = False         # every dbt line instead of models, failures and the totals


class Demo:
    def __init__(self, options: DemoOptions, echo: Callable[[str], object],
                 step_echo: Callable[[str], object] | None = None) -> None:
        self.options = options
        self.echo = echo
        self.step_echo = step_echo or (lambda text: echo(f"==> {text}"))
        self.started = time.monotonic()
        self.current = "starting"
        self.url: str | None = None
        self.sandbox = None
        self.microsoft = None  # Cleo's Microsoft 365 sandbox
        self.twilio = None  # the tenant's Twilio account (worker/demo/twilio.py)
        self.slack = None  # the tenant's Slack workspace (worker/demo/slack.py)
        self.quickbooks = None  # the tenant's QuickBooks company (worker/demo/quickbooks.py)
        self.push = None  # `integrations serve` and mail arriving by push (worker/demo/push.py)
        self.world: dict = {}
        self.connections: dict[str, object] = {}  # account -> connection id
        self.results: dict = {}

    # -- output ------------------------------------------------------------------------------
    def step(self, text: str) -> None:
        self.current = text
        self.step_echo(f"{text}  [{time.monotonic() - self.started:5.1f}s]")

    def say(self, text: str) -> None:
        self.echo(f"    {text}")

    # -- database ----------------------------------------------------------------------------
    def connect(self):
        from worker.db.connect import connect

        return connect(self.url)

    def start_database(self) -> None:
        from worker.db.migrate import migrate
        from worker.settings import get_settings

        settings = get_settings()
        if settings.database_url is None:
            self.step(f"starting the embedded PostgreSQL in {settings.pg_dir}")
        else:
            self.step("using the database from INTEGRATIONS_DATABASE_URL")
        from worker.db.url import mask_password, resolve_database_url

        self.url = resolve_database_url(settings)
        self.say(mask_password(self.url))
        self.step("migrating the integrations schema")
        with self.connect() as conn:
            applied = migrate(conn)
            conn.commit()
        for line in applied or ["already up to date"]:
            self.say(str(line))

    def reset_tenant(self) -> bool:
        """A second run starts clean: the demo tenant's connections go, and with them (cascade) their
        raw records, sync state and outbound actions; queued jobs for them are dropped."""
        with self.connect() as conn:
            ids = [r["id"] for r in conn.execute(query("demo.tenant_connection_ids"),
                                                 {"tenant_id": DEMO_TENANT}).fetchall()]
            if not ids:
                return False
            self.step(f"resetting demo tenant {DEMO_TENANT} from an earlier run ({len(ids)} connections)")
            if conn.execute(query("schema.relation_exists"), {"relation": "procrastinate_jobs"}).fetchone()["present"]:
                dropped = conn.execute(query("demo.drop_queued_jobs"),
                                       {"connection_ids": [str(i) for i in ids]}).rowcount
                self.say(f"dropped {dropped} queued jobs of the old connections")
            conn.execute(query("demo.delete_tenant_connections"), {"tenant_id": DEMO_TENANT})
            conn.commit()
        self.say("deleted its connections, raw records and sync state; the next normalize is a full refresh")
        return True

    # -- sandbox and OAuth -------------------------------------------------------------------
    def start_sandbox(self) -> None:
        o = self.options
        self.step(f"starting the Google sandbox: tenant acme.example, {ANA} and {BEN}, "
                  f"{o.messages} messages and {o.events} events each")
        self.sandbox, self.world = start_sandbox(o.messages, o.events, o.quota_units)
        self.say(f"listening on {self.sandbox.base_url} (Gmail quota {o.quota_units} units/user/minute)")
        self.say(f"generated {self.world['messages']} messages ({len(self.world['shared'])} in both mailboxes), "
                 f"{self.world['events']} events + {len(self.world['shared_meetings'])} meetings in both calendars")
        self.step(f"starting the Microsoft 365 sandbox: {CLEO}, {o.messages // 5} messages and {o.events} events")
        self.microsoft, generated = start_microsoft_sandbox(o.messages // 5, o.events)
        self.world["outlook"] = share_with_outlook(self.sandbox, self.microsoft, self.world["shared_meetings"])
        self.say(f"listening on {self.microsoft.base_url} (HTTPS; Graph's 10,000 requests/10 min per mailbox)")
        self.say(f"generated {generated.get('messages', 0)} messages and {generated.get('events', 0)} events; "
                 f"'{self.world['outlook']['email']}' is also in {ANA}'s Gmail and "
                 f"'{self.world['outlook']['meeting']}' also in {CLEO}'s Outlook calendar")
        self.twilio = TwilioDemo(self.say)
        self.slack = SlackDemo(self.say)
        self.quickbooks = QuickBooksDemo(self.say)

    def connect_users(self) -> None:
        from worker.crypto import keyring_from_settings
        from worker.providers.google.auth.connect import connect_google
        from worker.settings import get_settings

        settings = get_settings()
        keyring = keyring_from_settings(settings)
        for account, profile_id in USERS.items():
            self.step(f"connecting {account} through Google OAuth (all five capabilities)")
            browsers = []

            def on_url(url: str) -> None:
                self.say(f"consent URL: {url[:100]}…")
                self.say("the demo plays the browser; the sandbox consents as the login_hint account")
                browsers.append(consent_in_background(url))  # noqa: B023 - used within this iteration

            row = connect_google(self.url, settings, keyring, tenant_id=DEMO_TENANT, profile_id=profile_id,
                                 account=account, capabilities=CAPABILITIES, on_url=on_url, timeout=60)
            for browser in browsers:
                browser.join(10)
            self.connections[account] = row["id"]
            self.say(f"connection {row['id']} {row['status']}, {len(row['granted_scopes'])} scopes granted")
        self.connect_outlook()
        self.twilio.connect(self.url, DEMO_TENANT, self.step)
        self.slack.connect(self.url, DEMO_TENANT, self.step)
        self.quickbooks.connect(self.url, DEMO_TENANT, self.step)

    def connect_outlook(self) -> None:
        from worker.crypto import keyring_from_settings
        from worker.providers.microsoft.auth.connect import connect_microsoft
        from worker.settings import get_settings

        settings = get_settings()
        for account, profile_id in MICROSOFT_USERS.items():
            self.step(f"connecting {account} through the Microsoft identity platform (msal; all five capabilities)")
            browsers = []

            def on_url(url: str) -> None:
                self.say(f"consent URL: {url[:100]}…")
                browsers.append(consent_in_background(url, verify=self.microsoft.ca_path))  # noqa: B023

            row = connect_microsoft(self.url, settings, keyring_from_settings(settings), tenant_id=DEMO_TENANT,
                                    profile_id=profile_id, account=account, capabilities=MICROSOFT_CAPABILITIES,
                                    on_url=on_url, timeout=60)
            for browser in browsers:
                browser.join(10)
            self.connections[account] = row["id"]
            self.say(f"connection {row['id']} {row['status']}, scopes: {' '.join(row['granted_scopes'])}")

    def provider_calls(self) -> list[dict]:
        """Every call either sandbox answered so far (Google's log, then Microsoft's)."""
        return self.sandbox.requests() + (self.microsoft.requests() if self.microsoft else [])

    # -- jobs --------------------------------------------------------------------------------
    async def _burst(self, defer: Callable | None = None) -> None:
        from worker.app import open_app_async

        async with open_app_async(self.url, max_size=self.options.concurrency + 4) as app:
            if defer is not None:
                await defer()
            await asyncio.wait_for(app.run_worker_async(concurrency=self.options.concurrency, wait=False,
                                                        queues=SYNC_QUEUES), self.options.step_timeout)

    def run_live_syncs(self) -> None:
        from worker.tasks.dispatch import defer_live

        async def defer():
            for connection_id in self.connections.values():
                for capability in LIVE:
                    await defer_live(connection_id, capability)
            await self.twilio.defer_live()
            await self.slack.defer_live()
            await self.quickbooks.defer_live()

        began = time.monotonic()
        seen = {"google": len(self.sandbox.requests()), "microsoft": len(self.microsoft.requests())}
        asyncio.run(self._burst(defer))
        self.check_live_ok()
        with self.connect() as conn:
            staged = report.staged_counts(conn, DEMO_TENANT)
        calls = self.sandbox.requests()[seen["google"]:] + self.microsoft.requests()[seen["microsoft"]:]
        refused: dict[int, int] = {}
        for call in calls:
            if (call.get("status") or 200) >= 400:
                refused[call["status"]] = refused.get(call["status"], 0) + 1
        self.say(f"syncs finished in {time.monotonic() - began:.1f}s with {len(calls)} provider API calls"
                 + (" (answered " + ", ".join(f"{n}× HTTP {code}" for code, n in sorted(refused.items()))
                    + ", retried)" if refused else "")
                 + "; staged so far: " + ", ".join(f"{n} {kind}" for kind, n in staged.items()))

    def check_live_ok(self) -> None:
        with self.connect() as conn:
            rows = report.capability_states(conn, DEMO_TENANT)
        live = LIVE + TWILIO_LIVE + SLACK_LIVE + QUICKBOOKS_LIVE
        bad = [r for r in rows if r["capability"] in live and r["stream"] == "" and r["status"] != "ok"]
        if bad:
            raise DemoFailed("live syncs did not finish: " + "; ".join(
                f"{r['account_id']} {r['capability']} is {r['status']}: {r['last_error'] or '-'}" for r in bad))

    def normalize(self, full_refresh: bool = False) -> None:
        from worker.normalize import run_dbt

        began = time.monotonic()
        quiet: list[str] = []

        def on_line(line: str) -> None:
            if self.options.verbose or _dbt_line_worth_showing(line):
                self.say(line)
            else:
                quiet.append(line)

        code = asyncio.run(run_dbt(self.url, full_refresh=full_refresh, on_line=on_line))
        if code != 0:
            for line in quiet[-40:]:
                self.say(line)
            raise DemoFailed(f"dbt exited with {code} (its output is above)")
        self.say(f"dbt finished in {time.monotonic() - began:.1f}s"
                 + (f" ({len(quiet)} lines of passing tests not shown; --verbose shows them)" if quiet else ""))

    # -- the summary -------------------------------------------------------------------------
    def summary(self) -> None:
        self.step("summary")
        with self.connect() as conn:
            self.echo("  connections")
            report.print_connections(self.echo, conn, DEMO_TENANT)
            self.echo("  capabilities")
            report.print_capabilities(self.echo, conn, DEMO_TENANT)
            self.echo("  rows (demo tenant)")
            counts = report.row_counts(conn, DEMO_TENANT)
            report.print_counts(self.echo, counts, report.staged_counts(conn, DEMO_TENANT))
            self.echo("  newest emails")
            report.print_emails(self.echo, report.sample_emails(conn, DEMO_TENANT, 5))
            self.echo("  the same message in both mailboxes is one email")
            report.print_emails(self.echo, report.shared_emails(conn, DEMO_TENANT, 3))
            self.echo("  one email in a Gmail and an Outlook mailbox is one email")
            report.print_emails(self.echo, report.cross_provider_emails(conn, DEMO_TENANT, 3))
            self.echo("  one meeting in a Google and an Outlook calendar is one meeting")
            report.print_meetings(self.echo, report.cross_provider_meetings(conn, DEMO_TENANT, 3))
            self.echo("  meetings in both calendars are one meeting each")
            shared = {m["ical_uid"] for m in self.world["shared_meetings"]}
            rows = conn.execute(query("demo.meetings_by_uid"),
                                {"tenant_id": DEMO_TENANT, "ical_uids": list(shared)}).fetchall()
            all_meetings = report.meetings(conn, DEMO_TENANT)
            report.print_meetings(self.echo, [all_meetings[r["meeting_id"]] for r in rows])
            self.twilio.show(conn, DEMO_TENANT, self.echo)
            self.slack.show(conn, DEMO_TENANT, self.echo)
            self.quickbooks.show(conn, DEMO_TENANT, self.echo)
        self.results["first_counts"] = counts

    # -- lifecycle ---------------------------------------------------------------------------
    def lifecycle(self) -> None:
        with self.connect() as conn:
            before_emails = report.email_ids(conn, DEMO_TENANT)
            before_meetings = report.meetings(conn, DEMO_TENANT)
        self.step("lifecycle: new mail arrives and shared meetings change in Google")
        for subject in add_new_mail(self.sandbox):
            self.say(f"new mail: {subject}")
        changed = change_meetings(self.sandbox, self.world["shared_meetings"])
        self.say(f"moved '{changed['moved']['title']}', cancelled '{changed['cancelled']['title']}' (both calendars)")

        self.step("running the live syncs again: they fetch only what changed (historyId, syncToken)")
        self.run_live_syncs()

        self.step(f"sending an email from {ANA} to {BEN} through send_email")
        from worker.api import send_email

        sent = asyncio.run(send_email(self.url, self.connections[ANA], to=[BEN, "carla.client@client.example"],
                                      subject="Kick-off next week", idempotency_key="demo-kickoff-mail",
                                      text="Hi Ben, hi Carla,\nlet us meet next week for the kick-off.\nAna\n"))
        self.say(f"queued outbound {sent['outbound_id']} ({sent['message_id']})")

        self.step(f"creating a meeting in {ANA}'s calendar (two-way calendar)")
        from worker.api import create_meeting

        meeting = asyncio.run(create_meeting(
            self.url, self.connections[ANA], title="Acme kick-off with Carla", start="2024-06-18T10:00:00",
            end="2024-06-18T11:00:00", time_zone="Europe/Berlin", attendees=[BEN, "carla.client@client.example"],
            idempotency_key="demo-kickoff-meeting"))
        self.say(f"queued outbound {meeting['outbound_id']} (event {meeting['event_id']})")

        self.step("running the worker: the send and the meeting action")
        calls = self.sandbox.count_requests()
        asyncio.run(self._burst())
        with self.connect() as conn:
            rows = conn.execute(query("demo.outbound_results"),
                                {"ids": [sent["outbound_id"], meeting["outbound_id"]]}).fetchall()
        for row in rows:
            self.say(" ".join(f"{k}={v}" for k, v in row.items() if v is not None))
        if any(r["status"] != "done" for r in rows):
            raise DemoFailed("an outbound action did not complete: " + "; ".join(str(r) for r in rows))
        self.say(f"{self.sandbox.count_requests(method_id='gmail.users.messages.send')} Gmail send call, "
                 f"{self.sandbox.count_requests() - calls} provider calls in this step")

        self.step("syncing once more (the sent mail appears in SENT) and normalizing incrementally")
        self.run_live_syncs()
        self.normalize()

        self.step("what changed in the product tables")
        with self.connect() as conn:
            new_ids = report.email_ids(conn, DEMO_TENANT) - before_emails
            after_meetings = report.meetings(conn, DEMO_TENANT)
            self.echo(f"  {len(new_ids)} new emails")
            new_rows = report.sample_emails(conn, DEMO_TENANT, 20, email_ids=new_ids)
            report.print_emails(self.echo, new_rows)
            added = [m for k, m in after_meetings.items() if k not in before_meetings]
            changed_rows = [m for k, m in after_meetings.items() if k in before_meetings and
                            _meeting_key(m) != _meeting_key(before_meetings[k])]
            self.echo(f"  {len(added)} new and {len(changed_rows)} changed meetings")
            report.print_meetings(self.echo, added + changed_rows)
            self.results["lifecycle"] = {"new_emails": [r["subject"] for r in new_rows],
                                         "new_meetings": [m["title"] for m in added],
                                         "changed_meetings": [(m["title"], m["status"]) for m in changed_rows]}

    # -- push --------------------------------------------------------------------------------
    def push_mail(self) -> None:
        """`integrations serve` running, the Gmail watches made, a worker in the background: one new
        message reaches product.emails by push (worker/demo/push.py)."""
        self.push = PushDemo(self.say, self.step, self.options.concurrency)
        self.results["push"] = self.push.run(self.url, self.sandbox, {a: self.connections[a] for a in USERS})

    # -- reprocess ---------------------------------------------------------------------------
    def reprocess(self) -> None:
        self.step("reprocess: dbt --full-refresh rebuilds every product table from the raw records")
        with self.connect() as conn:
            before = report.row_counts(conn, DEMO_TENANT)
        self.sandbox.clear_requests()
        self.microsoft.clear_requests()
        self.twilio.sandbox.clear_requests()
        self.slack.sandbox.clear_requests()
        self.quickbooks.sandbox.clear_requests()
        self.say("sandbox request logs cleared (Google, Microsoft, Twilio, Slack and QuickBooks)")
        self.normalize(full_refresh=True)
        calls = (self.sandbox.count_requests() + self.microsoft.count_requests()
                 + self.twilio.sandbox.count_requests() + self.slack.sandbox.count_requests()
                 + self.quickbooks.sandbox.count_requests())
        with self.connect() as conn:
            after = report.row_counts(conn, DEMO_TENANT)
        self.results["reprocess_calls"] = calls
        self.say(f"provider API calls during reprocess: {calls}")
        same = "the same row counts as before" if before == after else f"row counts changed: {before} -> {after}"
        self.say(same)
        if calls != 0:
            raise DemoFailed(f"reprocess made {calls} provider calls; it must make none")

    def explore_hints(self) -> None:
        from worker.settings import get_settings

        settings = get_settings()
        self.step(f"done in {time.monotonic() - self.started:.0f}s — explore")
        if settings.database_url is None:
            self.say(f"the embedded PostgreSQL keeps running (data in {settings.pg_dir})")
        self.say("integrations connections list")
        self.say(f"integrations connections show {self.connections[ANA]}")
        self.say("integrations status")
        self.say('psql "$(integrations db url)" -c "select subject, from_address, sent_at, direction '
                 'from product.emails order by sent_at desc limit 10"')
        self.say("the sandbox and serve stopped with the demo, so these connections cannot sync any more")
        if settings.database_url is None:
            self.say("integrations demo --stop    # stops the embedded PostgreSQL")

    def sandbox_env(self) -> dict[str, str]:
        """The sandbox's endpoints and credentials; the client paces Gmail to the sandbox's quota
        (unless INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE is set)."""
        env = {**self.sandbox.env(), **self.microsoft.env(), **self.twilio.env(), **self.slack.env(),
               **self.quickbooks.env()}
        if "INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE" not in os.environ:
            env["INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE"] = str(self.options.quota_units)
        return env

    # -- all of it ---------------------------------------------------------------------------
    def run(self) -> dict:
        self.start_database()
        was_reset = self.reset_tenant()
        self.start_sandbox()
        try:
            with sandbox_settings(self.sandbox_env()):
                self.connect_users()
                self.step("running a worker until the first syncs finish")
                self.run_live_syncs()
                self.step("normalizing raw records into the product tables (dbt)"
                          + (" — full refresh after the reset" if was_reset else ""))
                self.normalize(full_refresh=was_reset)
                self.summary()
                self.lifecycle()
                self.push_mail()
                self.reprocess()
                self.explore_hints()
        finally:
            if self.push is not None:
                self.push.stop()  # serve first: it verifies pushes with the sandbox's certs
            self.sandbox.stop()
            if self.microsoft is not None:
                self.microsoft.stop()
            if self.twilio is not None:
                self.twilio.stop()
            if self.slack is not None:
                self.slack.stop()
            if self.quickbooks is not None:
                self.quickbooks.stop()
        self.results["connections"] = {k: str(v) for k, v in self.connections.items()}
        self.results["seconds"] = time.monotonic() - self.started
        return self.results


DBT_SHOWN = (" OK created ", "ERROR", "FAIL ", "WARN ", "Finished running", "Done. PASS=", "Completed")


def _dbt_line_worth_showing(line: str) -> bool:
    """Models built, anything not passing, and the totals; passing tests and START lines are hidden."""
    return any(marker in line for marker in DBT_SHOWN)


def _meeting_key(row: dict) -> tuple:
    return row["title"], row["status"], row["start_at"], row["start_date"]


@contextmanager
def sandbox_settings(env: dict[str, str]) -> Iterator[None]:
    """Point the settings at the sandbox for the demo's duration, then restore the environment."""
    from worker.settings import get_settings

    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def run_demo(options: DemoOptions, echo: Callable[[str], object],
             step_echo: Callable[[str], object] | None = None) -> dict:
    demo = Demo(options, echo, step_echo)
    try:
        return demo.run()
    except DemoFailed as error:
        raise DemoFailed(f"{demo.current}: {error}") from None
    except Exception as error:
        from worker.errors import IntegrationsError

        what = str(error) if isinstance(error, IntegrationsError) else f"{type(error).__name__}: {error}"
        raise DemoFailed(f"{demo.current}: {what}") from error
