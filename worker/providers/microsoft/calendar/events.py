"""Turning a page of calendar-view entries into what is staged: instances, their series, tombstones.

An instance is staged as Graph listed it. An `@removed` entry is read again: gone (404) is a
tombstone, still there (moved out of the window, to another calendar) is staged as it is now.
The series master of every occurrence and exception is read once per run and staged beside it,
because an occurrence's own iCalUId differs per occurrence: the meeting is the series' iCalUId
plus the instance's original start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.providers.microsoft.calendar.api import CalendarApi
from worker.providers.microsoft.client.errors import GraphError, NotFound
from worker.store.staging import RawObject
from worker.sync.errors import Reauth, Transient


@dataclass
class Fetched:
    objects: list[RawObject] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def tombstone(event_id: str, entry: dict | None = None) -> RawObject:
    return RawObject(event_id, entry or {"id": event_id, "@removed": {"reason": "deleted"}}, is_deleted=True)


class SeriesBook:
    """Series masters read in this run (each once)."""

    def __init__(self, api: CalendarApi) -> None:
        self.api = api
        self.known: dict[str, dict | None] = {}

    async def masters(self, instances: list[dict]) -> tuple[list[RawObject], list[tuple[str, str]]]:
        wanted = sorted({e.get("seriesMasterId") for e in instances if e.get("seriesMasterId")} - {None}
                        - set(self.known))
        failures = []
        if wanted:
            for master_id, answer in (await self.api.events(wanted)).items():
                if isinstance(answer, (Transient, Reauth)):
                    raise answer
                if isinstance(answer, NotFound):
                    self.known[master_id] = None
                elif isinstance(answer, GraphError):
                    failures.append((master_id, str(answer)))
                else:
                    self.known[master_id] = answer
        used = {e.get("seriesMasterId") for e in instances}
        return [RawObject(i, self.known[i]) for i in sorted(used - {None}) if self.known.get(i)], failures


async def to_objects(api: CalendarApi, book: SeriesBook, entries: list[dict]) -> Fetched:
    out = Fetched()
    listed = [e for e in entries if isinstance(e, dict) and e.get("id")]
    removed = {e["id"]: e for e in listed if "@removed" in e}
    instances = [e for e in listed if "@removed" not in e]
    if removed:
        for event_id, answer in (await api.events(sorted(removed))).items():
            if isinstance(answer, NotFound):
                out.objects.append(tombstone(event_id, removed[event_id]))
            elif isinstance(answer, (Transient, Reauth)):
                raise answer
            elif isinstance(answer, GraphError):
                out.failures.append((event_id, str(answer)))
            else:
                instances.append(answer)
    masters, failures = await book.masters(instances)
    out.objects += masters + [RawObject(e["id"], e) for e in instances]
    out.failures += failures
    return out
