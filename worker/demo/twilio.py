"""The demo tenant's Twilio account: texts and calls in a local Twilio sandbox, connected with an API
key, synced by the two live capabilities, one text sent exactly once, and what the CRM then shows.

`run.py` holds this piece as `Demo.twilio` and calls it at its steps (start, settings, connect,
the live syncs, the summary, the request count of reprocess, stop); everything Twilio is here.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from worker.optional import load_sandbox
from worker.store import query

SEED = 14
MESSAGES, CALLS = 120, 40
OUR_NUMBER = "+14155550100"
CAPABILITIES = {"sync_sms_live": {"backfill_days": 45}, "sync_calls_live": {"backfill_days": 45},
                "send_sms": {"from_number": OUR_NUMBER}}
LIVE = ("sync_sms_live", "sync_calls_live")
TEXT = "Hi Carla, the kick-off is confirmed for Tuesday 10:00. Ana (Acme)"


class TwilioDemo:
    def __init__(self, say: Callable[[str], object]) -> None:
        self.say = say
        twilio = load_sandbox("sandbox.twilio", "`integrations demo`")
        # statuses move on in real time (queued, sending, sent, delivered), as at Twilio
        self.sandbox = twilio.Sandbox(seed=SEED, realtime=True)
        self.generated = self.sandbox.generate(messages=MESSAGES, calls=CALLS, numbers=[OUR_NUMBER, "+14155550101"])
        self.sandbox.start()
        self.connection_id = None
        say(f"Twilio sandbox on {self.sandbox.base_url}: account {self.generated['account_sid']}, "
            f"{MESSAGES} texts and {CALLS} calls")

    def env(self) -> dict[str, str]:
        return self.sandbox.env()

    def connect(self, url: str, tenant_id, step: Callable[[str], object]) -> None:
        """`integrations connect twilio` as a function: the key is checked at the account, then stored;
        then one text is queued (the next worker run sends it)."""
        from worker.api import send_sms
        from worker.crypto import keyring_from_settings
        from worker.providers.twilio.auth.connect import connect_twilio
        from worker.settings import get_settings

        account, key = self.generated["account_sid"], self.generated["key_sid"]
        step(f"connecting Twilio account {account} with API key {key} (its secret on standard input in the CLI)")
        settings = get_settings()
        row = connect_twilio(url, settings, keyring_from_settings(settings), tenant_id=tenant_id, profile_id=None,
                             account=account, capabilities=CAPABILITIES, api_key=key,
                             api_secret=self.generated["key_secret"])
        self.connection_id = row["id"]
        self.say(f"connection {row['id']} {row['status']}; capabilities: {', '.join(row['capabilities'])}")
        queued = asyncio.run(send_sms(url, row["id"], to="+1 (212) 555-0142", body=TEXT, idempotency_key="demo-sms"))
        self.say(f"queued a text {queued['from']} -> {queued['to']} (outbound {queued['outbound_id']})")

    async def defer_live(self) -> None:
        from worker.tasks.dispatch import defer_live

        for capability in LIVE:
            await defer_live(self.connection_id, capability)

    def show(self, conn, tenant_id, echo: Callable[[str], object]) -> None:
        """The newest texts and calls: from the product tables once normalized, else as staged."""
        normalized = conn.execute(query("schema.relation_exists"), {"relation": "product.text_messages"}).fetchone()
        if normalized["present"]:
            echo("  newest texts (product.text_messages)")
            for t in conn.execute(query("twilio.demo_texts"), {"tenant_id": tenant_id, "limit": 6}):
                echo(f"    {t['sent_at'] or 'not sent yet':<25} {t['direction']:<8} {t['from_number']} -> "
                     f"{t['to_number']}  {t['status']:<11} {(t['body'] or '')[:50]}")
            echo("  newest calls (product.calls)")
            for c in conn.execute(query("twilio.demo_calls"), {"tenant_id": tenant_id, "limit": 4}):
                echo(f"    {c['started_at'] or '-'!s:<25} {c['direction']:<8} {c['from_number']} -> {c['to_number']}"
                     f"  {c['status']:<11} {c['duration_seconds'] or 0} s")
            return
        echo("  newest texts (staged; product.text_messages is not built yet)")
        for r in conn.execute(query("twilio.demo_staged"), {"tenant_id": tenant_id, "resource_type": "twilio.message",
                                                            "date_field": "date_sent", "limit": 6}):
            m = r["payload"]
            echo(f"    {m.get('date_sent') or 'not sent yet':<31} {m['direction']:<13} {m['from']} -> {m['to']}"
                 f"  {m['status']:<11} {(m.get('body') or '')[:40]}")
        echo("  newest calls (staged)")
        for r in conn.execute(query("twilio.demo_staged"), {"tenant_id": tenant_id, "resource_type": "twilio.call",
                                                            "date_field": "start_time", "limit": 4}):
            c = r["payload"]
            echo(f"    {c.get('start_time') or '-':<31} {c['direction']:<13} {c['from']} -> {c['to']}"
                 f"  {c['status']:<11} {c.get('duration') or 0} s")

    def stop(self) -> None:
        self.sandbox.stop()
