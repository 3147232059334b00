"""Chaos: faults, a lost history, a dead sync token, changing mail and events, sends, and workers
killed with SIGKILL mid-job; poison mail (a NUL in a Subject, unknown charsets, invalid UTF-8, an
encoded lone surrogate); a third user's connection deleted while its sync runs; a manual sync
overlapping the live one while mail is deleted; a reconnect while a job refreshes a dying grant; a
sender's grant revoked with sends pending (they wait in `waiting_reauth`, resume on reconnect); a
sync's worker SIGSTOPped, its job recovered and rerun, then the stale writer woken -- then, once
it settles, nothing is missing (a poison message may be quarantined with a reason instead),
nothing is doubled or resurrected, nothing of the deleted connection remains, every connection is
`active`, every email went out exactly once, and reconcile finds zero differences.

Replay one seed with ``CHAOS_SEED=<n> pytest -m chaos tests/chaos``; run many with
``make chaos SEEDS=10``. The seed fixes the generated world, the list and order of changes,
sends, faults and kill points; which request a probabilistic fault hits and which instant a kill
lands on still depend on timing, so a replay reproduces the scenario, not the interleaving.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
import uuid

import pytest

from sandbox.google import Sandbox
from tests.chaos.harness import (
    Mutator,
    Workers,
    in_scope,
    make_raw,
    new_key,
    query,
    sandbox_mail,
    sandbox_meetings,
)
from tests.fixtures.accounts import connect_account, reconnect_account
from worker.app import open_app_async
from worker.providers.google.capabilities import CALENDAR_READONLY, GMAIL_READONLY, GMAIL_SEND
from worker.settings import get_settings

pytestmark = [pytest.mark.chaos, pytest.mark.asyncio]

MESSAGES_PER_USER = 150
EVENTS_PER_USER = 20
SENDS = 8
LIVE = ("sync_inbox_live", "sync_calendar_live")
CAPABILITIES = {"sync_inbox_live": None, "send_email": None, "sync_calendar_live": {"calendars": ["primary"]},
                "sync_inbox_once": None}
CARL_MESSAGES = 60  # the connection deleted mid-run: enough mail that its full sync is still running
SCOPES = [GMAIL_READONLY, GMAIL_SEND, CALENDAR_READONLY]
SETTLE_ROUND_SECONDS = 120
MAX_SETTLE_ROUNDS = 8


def connect_user(sandbox: Sandbox, url: str, tenant_id: uuid.UUID, email: str) -> uuid.UUID:
    return connect_account(sandbox, url, email, CAPABILITIES, SCOPES, tenant_id=tenant_id)[0]


def add_faults(sandbox: Sandbox, rng: random.Random, timeout: float) -> list[dict]:
    """Modest random failures on every Google API path; sends get more, so the ambiguous cases
    (Google did it, we never heard) are exercised on every seed."""
    slow = timeout + 1.5
    api = r"^/(gmail|calendar)/"
    rules = [
        dict(path=r"/messages/send$", kind="delay", delay_seconds=slow, probability=0.3),
        dict(path=r"/messages/send$", kind="reset", probability=0.1),
        dict(path=r"/messages/send$", kind="status", status=503, probability=0.1),
        dict(path=api, kind="status", status=503, probability=rng.uniform(0.02, 0.05)),
        dict(path=api, kind="status", status=500, probability=rng.uniform(0.01, 0.03)),
        dict(path=api, kind="status", status=429, retry_after=1, probability=rng.uniform(0.01, 0.03)),
        # a reset or a slow answer inside a batch fails the whole batch of 50: keep those rarer
        dict(path=api, kind="reset", probability=rng.uniform(0.003, 0.01)),
        dict(path=api, kind="delay", delay_seconds=slow, probability=rng.uniform(0.001, 0.004)),
    ]
    return [sandbox.add_fault(**rule) for rule in rules]


async def defer_all(url: str, connections: list) -> None:
    from worker.tasks.dispatch import defer_live

    async with open_app_async(url, max_size=2):
        for cid in connections:
            for capability in LIVE:
                await defer_live(cid, capability)


async def retry_stalled(url: str, seconds: float = 15) -> list[int]:
    """The product's own recovery of a dead worker's jobs (as its periodic task runs it)."""
    from worker.tasks.maintenance import retry_stalled_jobs_now

    async with open_app_async(url, max_size=2):
        return await retry_stalled_jobs_now(seconds_since_heartbeat=seconds)


def cursor_of(url: str, cid, capability: str) -> dict:
    rows = query(url, "select stream, cursor from integrations.sync_state where connection_id = %s"
                      " and capability = %s", (cid, capability))
    return {r["stream"]: r["cursor"] for r in rows}


async def wait_for(predicate, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return False


def fingerprint(url: str, connections: list) -> str:
    raw = query(url, "select count(*) as n, coalesce(max(id), 0) as m from integrations.raw_records")[0]
    states = query(url, "select connection_id::text, capability, stream, cursor, status from integrations.sync_state"
                        " where connection_id = any(%s) order by 1, 2, 3", (connections,))
    sends = query(url, "select id::text, status, attempts from integrations.outbound order by 1")
    return json.dumps([raw, states, sends], default=str, sort_keys=True)


def stored_refresh_token(url: str, cid) -> str:
    from worker.connections import get_connection, load_credentials
    from worker.crypto import keyring_from_settings
    from worker.db.connect import connect

    with connect(url) as conn:
        return load_credentials(keyring_from_settings(get_settings()), get_connection(conn, cid))["refresh_token"]


def jobs_of(url: str, cid, statuses=("todo", "doing")) -> list[dict]:
    return query(url, "select id, task_name, status, worker_id from procrastinate_jobs"
                      " where args->>'connection_id' = %s and status = any(%s) order by id", (str(cid), list(statuses)))


async def delete_connection_cli(connection_id) -> dict:
    """`integrations connections delete <id> --yes --json`: the product's own delete, as a user runs it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "worker.cli.__main__", "connections", "delete", str(connection_id), "--yes", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=os.environ.copy())
    out, err = await proc.communicate()
    assert proc.returncode == 0, f"connections delete exited {proc.returncode}: {out.decode()} {err.decode()[-2000:]}"
    return json.loads(out)


def jobs_pending(url: str) -> int:
    return query(url, "select count(*) as n from procrastinate_jobs where queue_name = 'default'"
                      " and status in ('todo', 'doing')")[0]["n"]


async def test_chaos(chaos_seed, chaos_env, tmp_path, monkeypatch):
    seed, url = chaos_seed, chaos_env
    rng = random.Random(f"chaos/{seed}")
    timings: dict[str, float] = {}
    began = time.monotonic()
    sandbox = Sandbox(seed=seed, calendar_requests_per_window=None).start()
    workers = Workers(url, tmp_path)
    report: dict = {"seed": seed, "replay": f"CHAOS_SEED={seed} pytest -m chaos tests/chaos"}
    try:
        for name, value in sandbox.env().items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        users = [f"ana@chaos{seed}.example", f"ben@chaos{seed}.example"]
        sandbox.generate(users, messages=MESSAGES_PER_USER, events=EVENTS_PER_USER)
        mutator = Mutator(sandbox, rng, users, seed)
        for _ in range(3):
            mutator.add_event(shared=True)  # meetings both users hold, as Google copies them
        mutator.add_poison(kind="nul byte in Subject")  # every seed has the NUL that once stopped a mailbox
        for _ in range(rng.randint(1, 3)):
            mutator.add_poison()
        # carl: a third user of the tenant whose connection is deleted mid-run; some mail is shared with ana
        carl = f"carl@chaos{seed}.example"
        sandbox.add_account(carl)
        shared_with_carl = []
        for n in range(CARL_MESSAGES):
            msgid = f"<carl.{seed}.{n}@crm.test>"
            raw = make_raw("dora@client.example", carl, f"carl {n}", f"carl body {n}", msgid)
            sandbox.import_message(carl, raw, ["INBOX"])
            if n % 6 == 0:
                stored = sandbox.import_message(users[0], raw, ["INBOX"])
                mutator.mail[users[0]].append(stored["id"])
                shared_with_carl.append({"message_id": msgid, "ana_id": stored["id"]})
        tenant_id = uuid.uuid4()
        conns = {u: connect_user(sandbox, url, tenant_id, u) for u in users}
        cids = list(conns.values())
        carl_cid = connect_account(sandbox, url, carl, {"sync_inbox_live": None}, [GMAIL_READONLY],
                                   tenant_id=tenant_id)[0]
        report["faults"] = add_faults(sandbox, rng, get_settings().http_timeout_seconds)

        # -- chaos --------------------------------------------------------------------------
        await workers.start_many(3)
        await defer_all(url, cids)
        from worker.tasks.dispatch import defer_live

        async with open_app_async(url, max_size=2):
            await defer_live(carl_cid, "sync_inbox_live")
        for _ in range(rng.randint(2, 5)):
            mutator.random_change()

        # delete carl's connection while one of its jobs is `doing`
        carl_doing = await wait_for(lambda: any(j["status"] == "doing" for j in jobs_of(url, carl_cid)), 30, step=0.02)
        await asyncio.sleep(rng.uniform(0.0, 0.3))
        report["carl_delete"] = {"job_doing": carl_doing, "jobs_at_delete": jobs_of(url, carl_cid),
                                 "deletion": await delete_connection_cli(carl_cid)}

        # kill 1: during a full Gmail sync
        await workers.kill_running(
            "google:sync_inbox_live", wait_seconds=20, delay=rng.uniform(0.0, 0.8), label="full sync",
            detail=lambda job: cursor_of(url, job["args"]["connection_id"], "sync_inbox_live"))

        # wait for the first full syncs (or give up waiting: the assertions will tell)
        def full_done() -> bool:
            for cid in cids:
                inbox = cursor_of(url, cid, "sync_inbox_live").get("", {}) or {}
                cal = cursor_of(url, cid, "sync_calendar_live")
                if "historyId" not in inbox or "full" in inbox or not any("syncToken" in (c or {}) for c in cal.values()):
                    return False
            return True

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not full_done():
            mutator.random_change()
            await retry_stalled(url)
            await defer_all(url, cids)
            await asyncio.sleep(rng.uniform(0.3, 1.0))
        timings["first full syncs"] = time.monotonic() - began
        report["full_syncs_done_in_time"] = full_done()

        # a manual sync of the live sync's INBOX overlapping it while that mailbox loses mail
        from worker.api import sync_once

        manual_user = rng.choice(users)
        manual = await sync_once(url, conns[manual_user], "sync_inbox_once", {"labels": ["INBOX"]})
        await defer_all(url, cids)
        await wait_for(lambda: any(j["status"] == "doing" for j in jobs_of(url, conns[manual_user])), 10, step=0.02)
        for _ in range(rng.randint(2, 4)):
            mutator.delete_mail(manual_user)
        mutator.add_poison(manual_user)
        await defer_all(url, cids)
        report["manual_sync"] = {"user": manual_user, **manual}

        # a reconnect while the old access token has expired and a job is refreshing it
        refresh_user = rng.choice(users)
        sandbox.expire_access_tokens(refresh_user)
        await defer_all(url, cids)
        await wait_for(lambda: any(j["status"] == "doing" for j in jobs_of(url, conns[refresh_user])), 10, step=0.02)
        await asyncio.sleep(rng.uniform(0.0, 0.5))
        old_refresh_token = stored_refresh_token(url, conns[refresh_user])
        await asyncio.to_thread(reconnect_account, sandbox, url, conns[refresh_user], refresh_user, SCOPES)
        # the grant the running job still holds dies: its refresh must not undo the reconnect
        report["reconnect_during_refresh"] = {
            "user": refresh_user, "old_grant_revoked": sandbox.revoke_refresh_tokens(refresh_token=old_refresh_token)}

        # the cursors die: one Gmail history expires, one Calendar sync token is invalidated
        expired, invalidated = rng.choice(users), rng.choice(users)
        sandbox.expire_history_before(expired, sandbox.history_id(expired) + 1)
        sandbox.invalidate_sync_tokens(invalidated)
        report["history_expired"], report["sync_tokens_invalidated"] = expired, invalidated

        # sends, one key submitted three times
        from worker.api import send_email

        sends = []
        for n in range(SENDS):
            sender = rng.choice(users)
            peer = [u for u in users if u != sender][0]
            to = rng.choice([[peer], ["client@client.example"], [peer, "client@client.example"]])
            key = new_key()
            result = await send_email(url, conns[sender], to=to, subject=f"chaos send {seed}/{n}",
                                      text=f"hello {n}", idempotency_key=key)
            sends.append({"sender": sender, "to": to, "key": key, "n": n, **result})
        repeated = rng.choice(sends)
        for _ in range(2):  # the same request again (another one under its key would be refused)
            again = await send_email(url, conns[repeated["sender"]], to=repeated["to"],
                                     subject=f"chaos send {seed}/{repeated['n']}", text=f"hello {repeated['n']}",
                                     idempotency_key=repeated["key"])
            assert again["outbound_id"] == repeated["outbound_id"] and again["job_id"] is None, again

        # kill 2: during a send
        await workers.kill_running("google:send_email", wait_seconds=20, delay=rng.uniform(0.0, 1.5),
                                   label="send", detail=lambda job: job["args"])

        # the grant of a sender with sends still pending is revoked; its sends wait, then resume on reconnect
        def unfinished(sender: str) -> list[dict]:
            return query(url, "select id, status from integrations.outbound where connection_id = %s"
                              " and status not in ('done', 'failed')", (conns[sender],))

        pending_senders = [u for u in users if unfinished(u)]
        revoked = rng.choice(pending_senders or users)
        sandbox.revoke_refresh_tokens(revoked)

        def parked_or_done() -> bool:
            return any(r["status"] == "waiting_reauth" for r in unfinished(revoked)) or not unfinished(revoked)

        deadline, parked = time.monotonic() + 90, False
        while time.monotonic() < deadline and not (parked := parked_or_done()):
            await retry_stalled(url)  # a killed send's job comes back as the periodic task would bring it
            await wait_for(parked_or_done, 1.0, step=0.2)
        report["revoked_during_send"] = {"sender": revoked, "had_pending": bool(pending_senders), "observed": parked,
                                         "outbound_at_reconnect": unfinished(revoked)}
        await asyncio.to_thread(reconnect_account, sandbox, url, conns[revoked], revoked, SCOPES)

        # kill 3: during an incremental (or resyncing) Gmail sync
        for _ in range(4):
            mutator.random_change()
        await defer_all(url, cids)
        def incremental(job) -> bool:
            cursor = cursor_of(url, job["args"]["connection_id"], "sync_inbox_live").get("") or {}
            return "historyId" in cursor and "full" not in cursor

        await workers.kill_running(
            "google:sync_inbox_live", wait_seconds=20, delay=rng.uniform(0.0, 0.3), label="incremental sync",
            detail=lambda job: cursor_of(url, job["args"]["connection_id"], "sync_inbox_live"), where=incremental)

        # a stalled job woken up late: SIGSTOP a live Gmail sync's worker, retry its job, let the
        # retry run and the mailbox lose mail, then SIGCONT the stale writer
        frozen = None
        for _ in range(6):
            for _ in range(3):
                mutator.add_mail()  # some work for the sync, so that it is still running when caught
            await retry_stalled(url)  # a job killed above holds its connection's lock until recovered
            await defer_all(url, cids)
            frozen = await workers.freeze_running("google:sync_inbox_live", wait_seconds=5, label="stalled sync")
            if frozen:
                break
        report["stalled"] = frozen
        if frozen:
            stalled_user = next(u for u, c in conns.items() if str(c) == frozen["connection_id"])
            retried: list[int] = []

            def job_status() -> str:
                return query(url, "select status from procrastinate_jobs where id = %s", (frozen["job"],))[0]["status"]

            # the recovery either puts the job back in the queue or, when an equivalent run is
            # already queued, closes it (that run replaces it): both end its `doing`
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and job_status() == "doing":
                retried.extend(await retry_stalled(url))
                await asyncio.sleep(1.0)
            frozen["recovered_as"] = "retried" if frozen["job"] in retried else job_status()
            await wait_for(lambda: job_status() not in ("todo", "doing"), 120, step=0.2)
            for _ in range(rng.randint(2, 4)):
                mutator.delete_mail(stalled_user)
            mutator.relabel_mail()
            mutator.add_mail()
            await defer_all(url, cids)
            await wait_for(lambda: not [j for j in jobs_of(url, conns[stalled_user])
                                        if j["task_name"] == "google:sync_inbox_live"], 120, step=0.2)
            frozen["status_before_wake"] = job_status()
            frozen["woken"] = workers.thaw()

        # more change while everything runs
        for _ in range(rng.randint(10, 20)):
            mutator.random_change()
            if rng.random() < 0.05:
                mutator.add_poison()
            if rng.random() < 0.3:
                await defer_all(url, cids)
            await asyncio.sleep(rng.uniform(0.1, 0.6))
        timings["chaos"] = time.monotonic() - began
        report["kills"] = workers.kills
        assert len(workers.kills) >= 2, f"fewer than two kills landed: {workers.kills}"

        # -- settle ---------------------------------------------------------------------------
        report["faults_fired"] = [(f.kind, f.status, f.path, f.fired) for f in sandbox.faults.rules]
        sandbox.clear_faults()
        last_kill = max(k["at"] for k in workers.kills)
        await asyncio.sleep(max(0.0, last_kill + 16 - time.monotonic()))
        report["stalled_retried"] = await retry_stalled(url)
        previous, stable, rounds = None, 0, 0
        while stable < 2:
            rounds += 1
            assert rounds <= MAX_SETTLE_ROUNDS, f"did not settle in {MAX_SETTLE_ROUNDS} rounds"
            await defer_all(url, cids)
            settled = await wait_for(lambda: jobs_pending(url) == 0, SETTLE_ROUND_SECONDS, step=0.3)
            assert settled, f"jobs still pending after {SETTLE_ROUND_SECONDS}s: " + json.dumps(query(
                url, "select id, task_name, status, attempts, scheduled_at from procrastinate_jobs"
                     " where status in ('todo', 'doing')"), default=str)
            await retry_stalled(url)
            current = fingerprint(url, cids)
            stable = stable + 1 if current == previous else 0
            previous = current
        report["settle_rounds"] = rounds
        report["woken_workers"] = workers.woken_exits()
        assert not workers.crashed(), workers.crashed()
        workers.stop_all()
        timings["settled"] = time.monotonic() - began

        from worker.normalize import run_dbt

        dbt_lines: list[str] = []
        code = await run_dbt(url, on_line=dbt_lines.append)
        assert code == 0, "\n".join(dbt_lines[-40:])
        timings["dbt"] = time.monotonic() - began

        # -- assert ---------------------------------------------------------------------------
        problems: list[str] = []
        report["poison"] = mutator.poison
        report["poison_quarantined"] = check_mail(url, sandbox, conns, problems, mutator.poison)
        check_deleted_connection(url, carl_cid, users[0], conns[users[0]], shared_with_carl, sandbox, problems)
        check_connections_active(url, conns, problems)
        report["failed_jobs"] = query(url, "select task_name, count(*) as n from procrastinate_jobs"
                                           " where status = 'failed' group by 1 order by 1")
        check_meetings(url, sandbox, users, tenant_id, problems)
        check_sends(url, sandbox, conns, sends, problems)
        from worker.api import reconcile

        for user, cid in conns.items():
            for result in await reconcile(url, cid):
                counts = {k: result[k] for k in ("missing_count", "extra_count", "not_normalized_count",
                                                 "normalized_extra_count", "differences")}
                if result["differences"]:
                    problems.append(f"reconcile {user} {result['capability']}: {counts} "
                                    f"missing={result['missing']} extra={result['extra']} "
                                    f"not_normalized={result['not_normalized']} "
                                    f"normalized_extra={result['normalized_extra']}")
        timings["total"] = time.monotonic() - began
        report["timings"] = {k: round(v, 1) for k, v in timings.items()}
        print(json.dumps(report, default=str, indent=1))
        assert not problems, (f"chaos seed {seed} (replay: CHAOS_SEED={seed} pytest -m chaos tests/chaos):\n"
                              + "\n".join(problems) + "\nchanges:\n" + "\n".join(mutator.log[-80:])
                              + "\nrun:\n" + json.dumps(report, default=str))
    except BaseException:
        print(f"\nCHAOS FAILURE seed={seed}; replay with CHAOS_SEED={seed} pytest -m chaos tests/chaos")
        print(json.dumps(report, default=str, indent=1))
        for log in sorted(tmp_path.glob("worker-*.log")):
            tail = log.read_text(errors="replace")[-3000:]
            if tail.strip():
                print(f"--- {log.name}\n{tail}")
        raise
    finally:
        workers.stop_all()
        sandbox.stop()


def check_mail(url: str, sandbox: Sandbox, conns: dict, problems: list[str], poison: dict | None = None) -> dict:
    """Every in-scope message is live in product with Google's labels; a poison message may instead
    be quarantined with a reason (accounted for, returned), never silently missing."""
    accounted: dict[str, dict[str, str]] = {}
    for user, cid in conns.items():
        truth = sandbox_mail(sandbox, user)
        expected = {mid for mid, m in truth.items() if in_scope(m["labels"])}
        rows = query(url, "select provider_message_id, labels, is_deleted from product.email_mailboxes"
                          " where connection_id = %s", (cid,))
        counts: dict[str, int] = {}
        for r in rows:
            counts[r["provider_message_id"]] = counts.get(r["provider_message_id"], 0) + 1
        doubled = sorted(k for k, n in counts.items() if n > 1)
        live = {r["provider_message_id"]: sorted(r["labels"] or []) for r in rows if not r["is_deleted"]}
        actual = {mid for mid, labels in live.items() if in_scope(labels)}
        missing, extra = sorted(expected - actual), sorted(actual - expected)
        hostile = (poison or {}).get(user, {})
        if hostile and missing:
            reasons = {r["external_id"]: r["reason"] for r in query(
                url, "select external_id, reason from integrations_staging.normalize_quarantine"
                     " where connection_id = %s and reason is not null", (cid,))}
            for mid in [m for m in missing if m in hostile and reasons.get(m)]:
                accounted.setdefault(user, {})[mid] = f"{hostile[mid]}: {reasons[mid]}"
                missing.remove(mid)
        not_deleted = sorted(mid for mid in live if mid not in truth)
        stale = sorted(mid for mid, labels in live.items() if mid in truth and labels != truth[mid]["labels"])
        for name, ids in (("missing", missing), ("extra", extra), ("doubled", doubled),
                          ("deleted at Google but live in product", not_deleted),
                          ("labels differ from Google", stale)):
            if ids:
                detail = [(i, truth.get(i, {}).get("labels"), live.get(i)) for i in ids[:10]]
                problems.append(f"mail {user}: {len(ids)} {name}: {detail}")
    tenant_dupes = query(url, "select tenant_id, message_id_header, count(*) as n from product.emails"
                              " where message_id_header is not null group by 1, 2 having count(*) > 1")
    if tenant_dupes:
        problems.append(f"product.emails doubled by Message-ID: {tenant_dupes[:10]}")
    return accounted


def check_deleted_connection(url: str, cid, ana: str, ana_cid, shared: list[dict], sandbox: Sandbox,
                             problems: list[str]) -> None:
    """Nothing of a deleted connection remains; the mail it shared with ana is still ana's."""
    for table in ("integrations.raw_records", "integrations.sync_state", "integrations.connections",
                  "product.email_mailboxes"):
        column = "id" if table == "integrations.connections" else "connection_id"
        n = query(url, f"select count(*) as n from {table} where {column} = %s", (cid,))[0]["n"]
        if n:
            problems.append(f"deleted connection: {n} rows of it remain in {table}")
    truth = sandbox_mail(sandbox, ana)
    for item in shared:
        if item["ana_id"] not in truth or not in_scope(truth[item["ana_id"]]["labels"]):
            continue
        rows = query(url, "select m.provider_message_id from product.email_mailboxes m join product.emails e"
                          " using (email_id) where m.connection_id = %s and e.message_id_header = %s"
                          " and not m.is_deleted", (ana_cid, item["message_id"]))
        if [r["provider_message_id"] for r in rows] != [item["ana_id"]]:
            problems.append(f"mail shared with the deleted connection {item['message_id']}: ana has {rows}")


def check_connections_active(url: str, conns: dict, problems: list[str]) -> None:
    for user, cid in conns.items():
        row = query(url, "select status, status_reason from integrations.connections where id = %s", (cid,))
        if not row or row[0]["status"] != "active":
            problems.append(f"connection of {user} is not active after its reconnect: {row}")


def check_meetings(url: str, sandbox: Sandbox, users: list[str], tenant_id, problems: list[str]) -> None:
    live, cancelled = sandbox_meetings(sandbox, users)
    rows = query(url, "select ical_uid, original_start, status from product.meetings where tenant_id = %s",
                 (tenant_id,))
    counts: dict[tuple, int] = {}
    for r in rows:
        key = (r["ical_uid"], r["original_start"])
        counts[key] = counts.get(key, 0) + 1
    doubled = sorted(k for k, n in counts.items() if n > 1)
    actual = {(r["ical_uid"], r["original_start"]) for r in rows if r["status"] != "cancelled"}
    missing, extra = sorted(live - actual), sorted(actual - live)
    for name, keys in (("missing", missing), ("extra (cancelled or unknown at Google)", extra),
                       ("doubled", doubled)):
        if keys:
            detail = [(k, "cancelled at Google" if k in cancelled else "") for k in keys[:10]]
            problems.append(f"meetings: {len(keys)} {name}: {detail}")


def check_sends(url: str, sandbox: Sandbox, conns: dict, sends: list[dict], problems: list[str]) -> None:
    ok = sandbox.count_requests(method_id="gmail.users.messages.send", status=200)
    if ok != len(sends):
        problems.append(f"sends: Google accepted {ok} messages.send calls for {len(sends)} distinct emails")
    outbound = {str(r["id"]): r for r in query(url, "select * from integrations.outbound")}
    for send in sends:
        row = outbound.get(send["outbound_id"])
        if row is None or row["status"] != "done":
            problems.append(f"send {send['key']} not done: {row and (row['status'], row['attempts'], row['last_error'])}")
            continue
        msgid = row["message_id_header"]
        sent_copies = [mid for mid, m in sandbox_mail(sandbox, send["sender"]).items()
                       if m["message_id"] == msgid and "SENT" in m["labels"]]
        if len(sent_copies) != 1:
            problems.append(f"send {msgid}: {len(sent_copies)} copies in {send['sender']}'s SENT ({sent_copies})")
        if row["provider_id"] not in sent_copies:
            problems.append(f"send {msgid}: recorded provider id {row['provider_id']} is not the sent copy {sent_copies}")
        in_product = query(url, "select m.provider_message_id from product.email_mailboxes m join product.emails e"
                                " using (email_id) where m.connection_id = %s and e.message_id_header = %s"
                                " and not m.is_deleted", (conns[send["sender"]], msgid))
        if len(in_product) != 1:
            problems.append(f"send {msgid}: {len(in_product)} rows in the sender's product mailbox")
        for peer in send["to"]:
            if peer in conns:
                received = [mid for mid, m in sandbox_mail(sandbox, peer).items() if m["message_id"] == msgid]
                if len(received) != 1:
                    problems.append(f"send {msgid}: {len(received)} copies delivered to {peer}")
