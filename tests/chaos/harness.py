"""Pieces of the chaos test: worker subprocesses we can SIGKILL by the job they run, a seeded
world mutator, and the expected state read straight from the sandbox."""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

from worker.db.connect import connect

HIDDEN = {"SPAM", "TRASH"}
IN_SCOPE = {"INBOX", "SENT"}  # sync_inbox_live's default labels


def in_scope(labels) -> bool:
    labels = set(labels or [])
    return bool(labels & IN_SCOPE) and not labels & HIDDEN


def query(url: str, sql: str, params=()) -> list[dict]:
    with connect(url) as conn:
        return conn.execute(sql, params).fetchall()


# -- worker processes ------------------------------------------------------------------------
@dataclass
class WorkerProc:
    proc: subprocess.Popen
    worker_id: int
    log: Path


@dataclass
class Workers:
    """`integrations worker` subprocesses, each mapped to its procrastinate_workers row, so the one
    running a given job can be killed."""

    url: str
    log_dir: Path
    concurrency: int = 4
    running: list[WorkerProc] = field(default_factory=list)
    kills: list[dict] = field(default_factory=list)
    frozen: list[WorkerProc] = field(default_factory=list)  # SIGSTOPped, not yet woken
    woken: list[WorkerProc] = field(default_factory=list)   # SIGCONTed after their job was retried
    started: int = 0

    def _max_worker_id(self) -> int:
        return query(self.url, "select coalesce(max(id), 0) as m from procrastinate_workers")[0]["m"]

    async def start(self) -> WorkerProc:
        before = self._max_worker_id()
        self.started += 1
        log = self.log_dir / f"worker-{self.started}.log"
        handle = open(log, "wb")
        proc = subprocess.Popen([sys.executable, "-m", "worker.cli.__main__", "worker", "--concurrency",
                                 str(self.concurrency), "--queue", "default"],
                                env=os.environ.copy(), stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}: {log.read_text()[-2000:]}")
            rows = query(self.url, "select id from procrastinate_workers where id > %s order by id", (before,))
            if rows:
                # workers start one at a time, so the first new row is this process
                worker = WorkerProc(proc, rows[0]["id"], log)
                self.running.append(worker)
                return worker
            await asyncio.sleep(0.05)
        raise RuntimeError("worker did not register within 30 s")

    async def start_many(self, n: int) -> None:
        for _ in range(n):
            await self.start()

    async def kill_running(self, task_name: str, wait_seconds: float, delay: float, label: str,
                           detail=None, where=None) -> dict | None:
        """Wait (up to `wait_seconds`) for a job of `task_name` in `doing`, sleep `delay`, SIGKILL the
        worker process running it (if still running), then start a replacement."""
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            rows = query(self.url, "select id, worker_id, args from procrastinate_jobs where status = 'doing'"
                                   " and task_name = %s and worker_id is not null order by id", (task_name,))
            owners = {w.worker_id: w for w in self.running}
            rows = [r for r in rows if r["worker_id"] in owners and (where is None or where(r))]
            if rows:
                await asyncio.sleep(delay)
                job = rows[0]
                victim = owners[job["worker_id"]]
                still = query(self.url, "select status from procrastinate_jobs where id = %s", (job["id"],))[0]
                if still["status"] != "doing":  # finished during the delay: wait for the next one
                    delay /= 2
                    continue
                context = detail(job) if detail else None
                os.kill(victim.proc.pid, signal.SIGKILL)
                victim.proc.wait(10)
                self.running.remove(victim)
                record = {"label": label, "job": job["id"], "task": task_name, "worker": victim.worker_id,
                          "job_status_at_kill": still["status"], "context": context, "at": time.monotonic()}
                self.kills.append(record)
                await self.start()
                return record
            await asyncio.sleep(0.02)
        return None

    async def freeze_running(self, task_name: str, wait_seconds: float, label: str, where=None) -> dict | None:
        """SIGSTOP (not kill) the worker running a `doing` job of `task_name`, start a replacement;
        the frozen process keeps its job and connections and wakes with `thaw`."""
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            rows = query(self.url, "select id, worker_id, args from procrastinate_jobs where status = 'doing'"
                                   " and task_name = %s and worker_id is not null order by id", (task_name,))
            owners = {w.worker_id: w for w in self.running}
            rows = [r for r in rows if r["worker_id"] in owners and (where is None or where(r))]
            if rows:
                job = rows[0]
                victim = owners[job["worker_id"]]
                os.kill(victim.proc.pid, signal.SIGSTOP)
                if await self._froze_inside_a_transaction():
                    os.kill(victim.proc.pid, signal.SIGCONT)  # not the scenario: try again a moment later
                    await asyncio.sleep(0.1)
                    continue
                self.running.remove(victim)
                self.frozen.append(victim)
                record = {"label": label, "job": job["id"], "task": task_name, "worker": victim.worker_id,
                          "connection_id": job["args"].get("connection_id"), "at": time.monotonic()}
                await self.start()
                return record
            await asyncio.sleep(0.02)
        return None

    async def _froze_inside_a_transaction(self) -> bool:
        """Whether the process just stopped holds a transaction open. The scenario is a worker stalled
        between two database calls (its job's `doing` row and its writes still ahead); stopped inside
        a transaction it would hold row locks that block every defer of its queueing lock until it
        is woken, which is another failure (a server-side idle-in-transaction timeout's), not this one.
        A backend idle in a transaction for half a second while every other worker runs is its."""
        await asyncio.sleep(0.6)
        rows = query(self.url, "select count(*) as n from pg_stat_activity where datname = current_database()"
                               " and state like 'idle in transaction%%' and state_change < now() - interval '0.5 s'")
        return rows[0]["n"] > 0

    def thaw(self) -> list[int]:
        """SIGCONT every frozen worker; they stay watched (their exit is reported, see `woken_exits`)."""
        woken = []
        for worker in self.frozen:
            os.kill(worker.proc.pid, signal.SIGCONT)
            self.woken.append(worker)
            woken.append(worker.worker_id)
        self.frozen.clear()
        return woken

    def woken_exits(self) -> list[dict]:
        return [{"worker": w.worker_id, "returncode": w.proc.poll()} for w in self.woken]

    def stop_all(self) -> None:
        for worker in self.frozen:
            if worker.proc.poll() is None:
                os.kill(worker.proc.pid, signal.SIGCONT)
        self.running.extend(self.frozen + self.woken)
        self.frozen.clear()
        self.woken.clear()
        for worker in self.running:
            if worker.proc.poll() is None:
                worker.proc.send_signal(signal.SIGTERM)
        for worker in self.running:
            try:
                worker.proc.wait(30)
            except subprocess.TimeoutExpired:
                worker.proc.kill()
                worker.proc.wait(10)
        self.running.clear()

    def crashed(self) -> list[str]:
        """Workers that died on their own (not killed by us): their log tails."""
        return [f"worker {w.worker_id} exited {w.proc.returncode}: {w.log.read_text()[-1500:]}"
                for w in self.running if w.proc.poll() is not None]


# -- the world -------------------------------------------------------------------------------
def make_raw(sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = "Mon, 03 Jun 2024 10:00:00 +0000"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg.as_bytes()


class Mutator:
    """Seeded changes to mail and calendars while the syncs run; every change is logged."""

    def __init__(self, sandbox, rng, users: list[str], seed: int) -> None:
        self.sb, self.rng, self.users, self.seed = sandbox, rng, users, seed
        self.mail: dict[str, list[str]] = {u: list(sandbox.message_ids(u)) for u in users}
        self.log: list[str] = []
        self.counter = 0
        self.shared_events: list[dict] = []  # {user: event id}
        self.cancelled_instances: set[tuple[str, str]] = set()
        self.poison: dict[str, dict[str, str]] = {}  # user -> {message id: kind}

    def _note(self, text: str) -> None:
        self.log.append(text)

    # poison: hostile mail every run must survive (staged, then normalized or quarantined)
    POISON = {
        "nul byte in Subject": (b"poison \x00 nul %d", b'text/plain; charset="utf-8"', b"nul subject\n"),
        "encoded nul in Subject": (b"=?utf-8?q?poison_=00_encoded_%d?=", b'text/plain; charset="utf-8"', b"x\n"),
        "unknown charset": (b"=?x-unknown-zz?q?caf=E9_%d?=", b'text/plain; charset="x-unknown-zz"', b"caf\xe9\n"),
        "lone surrogate (utf-8 bytes)": (b"=?utf-8?q?lone_=ED=A0=80_%d?=", b'text/plain; charset="utf-8"',
                                         b"lone \xed\xa0\x80 surrogate\n"),
        "invalid utf-8 body": (b"bad body %d", b'text/plain; charset="utf-8"', b"bad \xff\xfe body\n"),
    }

    def add_poison(self, user: str | None = None, kind: str | None = None) -> None:
        """A hostile message in the user's INBOX (the kind seeded unless given), noted as poison."""
        self.counter += 1
        user = user or self.rng.choice(self.users)
        kind = kind or self.rng.choice(sorted(self.POISON))
        subject, ctype, body = self.POISON[kind]
        raw = (b"From: carol@client.example\r\nTo: " + user.encode() + b"\r\nSubject: " + (subject % self.counter)
               + b"\r\nDate: Mon, 03 Jun 2024 10:00:00 +0000\r\nMessage-ID: <poison." + str(self.seed).encode()
               + b"." + str(self.counter).encode() + b"@crm.test>\r\nMIME-Version: 1.0\r\nContent-Type: "
               + ctype + b"\r\n\r\n" + body)
        stored = self.sb.import_message(user, raw, ["INBOX"])
        self.mail[user].append(stored["id"])
        self.poison.setdefault(user, {})[stored["id"]] = kind
        self._note(f"poison {user} {stored['id']} {kind}")

    # mail
    def add_mail(self) -> None:
        self.counter += 1
        user = self.rng.choice(self.users)
        labels = self.rng.choice([["INBOX"], ["INBOX", "UNREAD"], ["SENT"], ["SPAM"], ["INBOX", "IMPORTANT"]])
        msgid = f"<chaos.{self.seed}.{self.counter}@crm.test>"
        raw = make_raw("carol@client.example", user, f"chaos {self.counter}", f"body {self.counter}", msgid)
        shared = self.rng.random() < 0.25
        targets = self.users if shared else [user]
        for target in targets:
            stored = self.sb.import_message(target, raw, labels)
            self.mail[target].append(stored["id"])
            self._note(f"add {target} {stored['id']} {labels}")

    def _pick(self, user: str | None = None) -> tuple[str, str] | None:
        user = user or self.rng.choice(self.users)
        if not self.mail[user]:
            return None
        return user, self.rng.choice(self.mail[user])

    def delete_mail(self, user: str | None = None) -> None:
        picked = self._pick(user)
        if picked:
            user, mid = picked
            self.sb.delete_message(user, mid)
            self.mail[user].remove(mid)
            self._note(f"delete {user} {mid}")

    def relabel_mail(self) -> None:
        picked = self._pick()
        if not picked:
            return
        user, mid = picked
        add, remove = self.rng.choice([
            ([], ["INBOX"]),                 # archive
            (["INBOX"], []),                 # back to the inbox
            (["TRASH"], ["INBOX", "SPAM"]),  # trash
            (["SPAM"], ["INBOX"]),           # spam
            (["INBOX"], ["TRASH", "SPAM"]),  # restore
            (["STARRED"], []),               # a label outside the scope: labels still change
        ])
        self.sb.relabel(user, mid, add, remove)
        self._note(f"relabel {user} {mid} +{add} -{remove}")

    # calendar
    def _calendar(self, user: str):
        return self.sb.world.calendar_account(user).calendar("primary")

    def add_event(self, shared: bool | None = None) -> None:
        self.counter += 1
        shared = self.rng.random() < 0.4 if shared is None else shared
        day = self.rng.randint(1, 28)
        organizer = self.rng.choice(self.users)
        event = {"summary": f"chaos meeting {self.counter}", "iCalUID": f"chaos-{self.seed}-{self.counter}@crm.test",
                 "start": {"dateTime": f"2030-02-{day:02d}T10:00:00Z", "timeZone": "UTC"},
                 "end": {"dateTime": f"2030-02-{day:02d}T11:00:00Z", "timeZone": "UTC"},
                 "organizer": {"email": organizer},
                 "attendees": [{"email": u, "responseStatus": "needsAction"} for u in self.users]}
        ids = {}
        for user in (self.users if shared else [organizer]):
            ids[user] = self.sb.import_event(user, copy.deepcopy(event))["id"]
        if shared:
            self.shared_events.append(ids)
        self._note(f"add event {event['iCalUID']} in {sorted(ids)}")

    def _standalone(self) -> list[dict]:
        """Copies of one event: {user: id} for a shared meeting, else one calendar's event."""
        user = self.rng.choice(self.users)
        with self.sb.world.lock:
            events = [e for e in self._calendar(user).events.values()
                      if e.get("status") != "cancelled" and not e.get("recurrence")
                      and not e.get("recurringEventId")]
        shared_ids = {i for s in self.shared_events for i in s.values()}
        choices = [{user: e["id"]} for e in events if e["id"] not in shared_ids]
        choices += [s for s in self.shared_events
                    if all(self.sb.get_event(u, i).get("status") != "cancelled" for u, i in s.items())]
        return self.rng.choice(choices) if choices else {}

    def update_event(self) -> None:
        copies = self._standalone()
        self.counter += 1
        for user, event_id in copies.items():
            self.sb.update_event(user, event_id, {"summary": f"updated {self.counter}",
                                                  "location": self.rng.choice(["Room 9", "Online"])})
        self._note(f"update event {copies}")

    def cancel_event(self) -> None:
        copies = self._standalone()
        for user, event_id in copies.items():
            self.sb.cancel_event(user, event_id)
        self._note(f"cancel event {copies}")

    def change_instance(self) -> None:
        user = self.rng.choice(self.users)
        calendar = self._calendar(user)
        with self.sb.world.lock:
            masters = [copy.deepcopy(e) for e in calendar.events.values()
                       if e.get("recurrence") and e.get("status") != "cancelled"]
        if not masters:
            return
        master = self.rng.choice(masters)
        with self.sb.world.lock:
            instances = [copy.deepcopy(i) for i in calendar.instances(master)]
        instance = self.rng.choice(instances)
        if (user, instance["id"]) in self.cancelled_instances or instance.get("status") == "cancelled":
            return
        if self.rng.random() < 0.5:
            self.sb.add_exception(user, master["id"], instance["originalStartTime"], cancelled=True)
            self.cancelled_instances.add((user, instance["id"]))
            self._note(f"cancel instance {user} {instance['id']}")
        else:
            self.counter += 1
            self.sb.add_exception(user, master["id"], instance["originalStartTime"],
                                  {"summary": f"instance changed {self.counter}"})
            self._note(f"change instance {user} {instance['id']}")

    def random_change(self) -> None:
        action = self.rng.choices(
            [self.add_mail, self.delete_mail, self.relabel_mail, self.add_event, self.update_event,
             self.cancel_event, self.change_instance],
            weights=[4, 2, 4, 2, 2, 1, 2])[0]
        action()


# -- expected state --------------------------------------------------------------------------
def utc_original_start(value: dict | None) -> str | None:
    if not value:
        return None
    if value.get("dateTime"):
        return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00")).astimezone(
            timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.get("date")


def sandbox_mail(sandbox, user: str) -> dict[str, dict]:
    """id -> {labels, message_id} of every message in the user's mailbox."""
    with sandbox.world.lock:
        box = sandbox.world.mailbox(user)
        out = {}
        for m in box.messages.values():
            header = message_from_bytes(m.raw).get("Message-ID")
            out[m.id] = {"labels": sorted(m.label_ids), "message_id": header.strip() if header else None}
        return out


def sandbox_meetings(sandbox, users: list[str]) -> tuple[set, set]:
    """(live keys, cancelled keys) of one tenant's calendars; key = (iCalUID, original start)."""
    live, cancelled = set(), set()
    with sandbox.world.lock:
        for user in users:
            calendar = sandbox.world.calendar_account(user).calendar("primary")
            for event in calendar.events.values():
                uid = event.get("iCalUID")
                if uid is None and event.get("recurringEventId") in calendar.events:
                    uid = calendar.events[event["recurringEventId"]].get("iCalUID")
                key = (uid, utc_original_start(event.get("originalStartTime")))
                (cancelled if event.get("status") == "cancelled" else live).add(key)
    return live, cancelled


def new_key() -> str:
    return uuid.uuid4().hex
