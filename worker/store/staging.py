"""Staging provider objects into `integrations.raw_records`, deduplicated against the newest version.

Callers stage a page and advance its cursor on the same connection, inside one transaction, so a
cursor never moves past data that is not durably stored (invariant 1).

One bad item never fails its page (invariant 2): JSON text that jsonb refuses for a known reason
(a `\\u0000` escape, a lone surrogate) is stored with that escape made visible text and the change
noted in `raw_records.sanitized`; any other payload PostgreSQL refuses as data (SQLSTATE class 22,
or 54 for limits) is recorded as an item failure, shown by `status`, while the rest is staged.
Other errors (the database gone, a constraint, a trigger) still fail the whole page.

Every writer of a (connection, resource) takes one advisory lock in its transaction; a live
version fetched before a tombstone was committed never replaces it, and where the provider orders
versions (`VERSIONS`) an older one never replaces a newer head (invariant 4; the rules are in
`stage_records.sql`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable
from uuid import UUID

import psycopg

from worker.store import query

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawObject:
    """One provider object version: its id, the exact JSON, and whether it is a tombstone.

    `payload` may be a `ProviderJson`, which keeps the provider's own bytes: those are stored and
    hashed as they came, so staging neither re-serializes nor loses anything of the answer."""

    external_id: str
    payload: dict[str, Any]
    is_deleted: bool = False
    # what identifies this version when the payload holds fields that change on every read
    # without a real change (Slack's generated `block_id`s): hashed instead of the payload, so
    # reading the same object again stores nothing new
    identity: dict[str, Any] | None = None


class ProviderJson(dict):
    """A JSON object together with the exact text the provider sent."""

    def __init__(self, parsed: dict, text: str) -> None:
        super().__init__(parsed)
        self.text = text


class StageCount(int):
    """How many new versions were stored; `unstorable` maps the ids PostgreSQL refused to the
    error, already recorded as item failures (callers must not resolve those as staged)."""

    unstorable: dict[str, str]

    def __new__(cls, count: int, unstorable: dict[str, str] | None = None) -> "StageCount":
        value = super().__new__(cls, count)
        value.unstorable = dict(unstorable or {})
        return value


class StaleWriter(Exception):
    """A writer found that a newer one moved its cursor on meanwhile (a stalled job woken up)."""


def payload_text(payload: dict) -> str:
    """The provider's text when we have it; otherwise a canonical serialization (sorted keys)."""
    if isinstance(payload, ProviderJson):
        return payload.text
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


NUL_NOTE, SURROGATE_NOTE = "\\u0000 escaped", "lone surrogate escaped"
# Escapes and characters jsonb refuses; a JSON text has backslashes only inside strings, each
# starting an escape, so scanning escape by escape (`\\.` consumes the others) stays aligned.
_SUSPECT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])|[\x00\ud800-\udfff]")
_TOKEN = re.compile(r"\\u(?:[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"  # a valid pair
                    r"|\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})"                          # NUL, lone half
                    r"|\\.|(\x00)|([\ud800-\udfff])", re.S)


def sanitize(text: str) -> tuple[str, str | None]:
    """`text` made storable as jsonb, and a note of what changed (None: unchanged). A refused
    escape becomes the same six characters as visible text (`\\u0000` → `\\\\u0000`), so
    reprocessing still sees where it was."""
    if not _SUSPECT.search(text):
        return text, None
    notes: set[str] = set()

    def fix(match: re.Match) -> str:
        escape, nul, surrogate = match.groups()
        if escape:
            notes.add(NUL_NOTE if escape == "0000" else SURROGATE_NOTE)
            return "\\" + match.group(0)
        if nul:
            notes.add(NUL_NOTE)
            return "\\\\u0000"
        if surrogate:
            notes.add(SURROGATE_NOTE)
            return f"\\\\u{ord(surrogate):04x}"
        return match.group(0)

    fixed = _TOKEN.sub(fix, text)
    return fixed, "; ".join(n for n in (NUL_NOTE, SURROGATE_NOTE) if n in notes) or None


@dataclass(frozen=True)
class _Row:
    external_id: str
    text: str
    digest: str
    is_deleted: bool
    sanitized: str | None
    version: str | None


def _epoch_micros(value) -> str | None:
    stamp = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        return None
    return str(round(stamp.timestamp() * 1_000_000))


def _history_id(value) -> str | None:
    return str(int(value)) if str(value).isdigit() else None


def _rfc2822_micros(value) -> str | None:
    """Twilio's `date_updated` ("Thu, 30 Jul 2015 20:12:31 +0000") in epoch microseconds."""
    from email.utils import parsedate_to_datetime

    stamp = parsedate_to_datetime(str(value))
    return None if stamp.tzinfo is None else str(round(stamp.timestamp() * 1_000_000))


# resource type -> (payload field, how to make it a number that orders the object's versions)
VERSIONS = {"gmail.message": ("historyId", _history_id), "gmail.labels": ("historyId", _history_id),
            "calendar.event": ("updated", _epoch_micros),
            # a send's create answer (queued) never replaces the delivered state a sync staged first
            "twilio.message": ("date_updated", _rfc2822_micros), "twilio.call": ("date_updated", _rfc2822_micros)}

# resource type -> the resource whose objects it completes: its records are fenced by that
# object's head too (a tombstone or a newer version wins; see `stage_records.claim`), and its
# writers take that resource's lock first (always in this order, so two writers cannot deadlock).
FENCED_BY = {"gmail.labels": "gmail.message"}


def version_of(resource_type: str, payload: dict) -> str | None:
    """The provider's ordering of this object's versions (see `stage_records.claim`), if any."""
    field, convert = VERSIONS.get(resource_type, (None, None))
    if field is None or not isinstance(payload, dict) or payload.get(field) in (None, ""):
        return None
    try:
        return convert(payload[field])
    except (TypeError, ValueError, OverflowError):
        return None  # an odd value orders nothing; the payload is still staged


def _rows(resource_type: str, objects: Iterable[RawObject]) -> list[_Row]:
    """One row per object (a later version in the same page wins), hashed over the provider's
    original text (so a sanitised payload dedups like any other), stored sanitised."""
    latest: dict[str, RawObject] = {}
    for obj in objects:
        latest.pop(obj.external_id, None)
        latest[obj.external_id] = obj
    rows = []
    for obj in latest.values():
        original = payload_text(obj.payload)
        basis = original if obj.identity is None else payload_text(obj.identity)
        digest = (hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()
                  + (":deleted" if obj.is_deleted else ""))
        text, note = sanitize(original)
        if note:
            logger.warning("staging %s with its payload sanitised: %s", obj.external_id, note)
        rows.append(_Row(obj.external_id, text, digest, obj.is_deleted, note, version_of(resource_type, obj.payload)))
    return rows


def _claim_params(connection_id: UUID, resource_type: str, rows: list[_Row], fetched_since: str | None) -> dict:
    return {"connection_id": connection_id, "resource_type": resource_type, "fetched_since": fetched_since,
            "external_ids": [r.external_id for r in rows], "hashes": [r.digest for r in rows],
            "deleted": [r.is_deleted for r in rows], "versions": [r.version for r in rows],
            "fenced_by": FENCED_BY.get(resource_type)}


def _lock_keys(connection_id: UUID, resource_type: str) -> list[dict]:
    """The advisory locks a writer of `resource_type` takes, in order."""
    owner = FENCED_BY.get(resource_type)
    return [{"connection_id": connection_id, "resource_type": r} for r in (owner, resource_type) if r]


COPY_RAW = ("copy integrations.raw_records (connection_id, tenant_id, capability, resource_type, external_id,"
            " payload, payload_hash, is_deleted, sanitized) from stdin")


def _copy_rows(connection_id, tenant_id, capability, resource_type, rows: list[_Row], claimed: set[str]):
    for r in rows:
        if r.external_id in claimed:
            yield (connection_id, tenant_id, capability, resource_type, r.external_id, r.text, r.digest,
                   r.is_deleted, r.sanitized)


def refused_as_data(error: psycopg.Error) -> bool:
    """PostgreSQL refused a payload itself (class 22 data exception or 54 limit, raised while
    reading the COPY's payload column) — not the write, and not a bug of ours in the claim."""
    context = getattr(error.diag, "context", None) or ""
    return bool(error.sqlstate) and error.sqlstate[:2] in ("22", "54") and "column payload" in context


def _claimed(rows_or_cursor) -> set[str]:
    return {r[0] if isinstance(r, tuple) else r["external_id"] for r in rows_or_cursor}


def _failure_params(connection_id, capability, resource_type, external_id, error) -> dict:
    return {"connection_id": connection_id, "capability": capability, "resource_type": resource_type,
            "external_id": external_id, "error": f"PostgreSQL refused the payload: {error}"[:2000]}


def stage_records(conn, connection_id: UUID, tenant_id: UUID, capability: str, resource_type: str,
                  objects: Iterable[RawObject], fetched_since: str | None = None) -> StageCount:
    """Stage on a synchronous connection; returns how many new versions were stored."""
    rows = _rows(resource_type, objects)
    if not rows:
        return StageCount(0)
    with conn.transaction():
        for key in _lock_keys(connection_id, resource_type):
            conn.execute(query("stage_records.lock"), key)
        try:
            with conn.transaction():
                return StageCount(len(_sync_stage(conn, connection_id, tenant_id, capability, resource_type,
                                                  rows, fetched_since)))
        except psycopg.Error as error:
            if not refused_as_data(error):
                raise
        stored, unstorable = 0, {}
        for row in rows:  # one savepoint per object: the refused ones alone are left out
            try:
                with conn.transaction():
                    stored += len(_sync_stage(conn, connection_id, tenant_id, capability, resource_type,
                                              [row], fetched_since))
            except psycopg.Error as error:
                if not refused_as_data(error):
                    raise
                unstorable[row.external_id] = str(error).splitlines()[0]
                conn.execute(query("item_failures.record"), _failure_params(
                    connection_id, capability, resource_type, row.external_id, unstorable[row.external_id]))
    return StageCount(stored, unstorable)


def _sync_stage(conn, connection_id, tenant_id, capability, resource_type, rows, fetched_since) -> set[str]:
    claimed = _claimed(conn.execute(query("stage_records.claim"),
                                    _claim_params(connection_id, resource_type, rows, fetched_since)))
    if claimed:
        with conn.cursor().copy(COPY_RAW) as copy:
            for row in _copy_rows(connection_id, tenant_id, capability, resource_type, rows, claimed):
                copy.write_row(row)
    return claimed


async def astage_records(aconn, connection_id: UUID, tenant_id: UUID, capability: str, resource_type: str,
                         objects: Iterable[RawObject], fetched_since: str | None = None) -> StageCount:
    """Stage on an async connection (tasks); returns how many new versions were stored.
    `fetched_since`: the snapshot (`stage_records.snapshot`) taken before the objects were fetched."""
    rows = _rows(resource_type, objects)
    if not rows:
        return StageCount(0)
    async with aconn.transaction():
        for key in _lock_keys(connection_id, resource_type):
            await aconn.execute(query("stage_records.lock"), key)
        try:
            async with aconn.transaction():
                return StageCount(len(await _async_stage(aconn, connection_id, tenant_id, capability,
                                                         resource_type, rows, fetched_since)))
        except psycopg.Error as error:
            if not refused_as_data(error):
                raise
        stored, unstorable = 0, {}
        for row in rows:  # one savepoint per object: the refused ones alone are left out
            try:
                async with aconn.transaction():
                    stored += len(await _async_stage(aconn, connection_id, tenant_id, capability, resource_type,
                                                     [row], fetched_since))
            except psycopg.Error as error:
                if not refused_as_data(error):
                    raise
                unstorable[row.external_id] = str(error).splitlines()[0]
                logger.warning("%s %s not staged: %s", resource_type, row.external_id, unstorable[row.external_id])
                await aconn.execute(query("item_failures.record"), _failure_params(
                    connection_id, capability, resource_type, row.external_id, unstorable[row.external_id]))
    return StageCount(stored, unstorable)


async def _async_stage(aconn, connection_id, tenant_id, capability, resource_type, rows, fetched_since) -> set[str]:
    cursor = await aconn.execute(query("stage_records.claim"),
                                 _claim_params(connection_id, resource_type, rows, fetched_since))
    claimed = _claimed(await cursor.fetchall())
    if claimed:
        async with aconn.cursor().copy(COPY_RAW) as copy:
            for row in _copy_rows(connection_id, tenant_id, capability, resource_type, rows, claimed):
                await copy.write_row(row)
    return claimed


async def snapshot(aconn) -> str:
    """The snapshot a writer takes before fetching (see `fetched_since`)."""
    row = await (await aconn.execute(query("stage_records.snapshot"))).fetchone()
    return row[0] if isinstance(row, tuple) else row["snapshot"]
