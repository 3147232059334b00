"""Turning listed message ids into what is staged: whole messages, tombstones, their folders.

A message Graph no longer has (404) is a tombstone. One that left a synced folder but still exists
(moved; its immutable id kept) is staged as it is now — its new `parentFolderId` is a label change,
never a deletion. The folders messages sit in are staged beside them as `outlook.mail_folder`, so
normalization can name them (labels are folder names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.providers.microsoft.client.errors import GraphError, NotFound
from worker.providers.microsoft.mail.api import FOLDER, MailApi
from worker.store.staging import RawObject
from worker.sync.errors import Reauth, Transient


@dataclass
class Fetched:
    objects: list[RawObject] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    folders: list[RawObject] = field(default_factory=list)

    @property
    def before(self) -> list[tuple[str, list[RawObject]]]:
        return [(FOLDER, self.folders)]


def tombstone(message_id: str, entry: dict | None = None) -> RawObject:
    return RawObject(message_id, entry or {"id": message_id, "@removed": {"reason": "deleted"}}, is_deleted=True)


class FolderBook:
    """The folders of one run, read once each (a rename is seen at the next run)."""

    def __init__(self, api: MailApi) -> None:
        self.api = api
        self.known: dict[str, dict] = {}

    def add(self, folder: dict) -> None:
        self.known[folder["id"]] = folder

    async def records(self, objects: list[RawObject]) -> list[RawObject]:
        wanted = sorted({o.payload.get("parentFolderId") for o in objects if not o.is_deleted}
                        - {None} - set(self.known))
        if wanted:
            for folder_id, answer in (await self.api.folders(wanted)).items():
                if isinstance(answer, (Transient, Reauth)):
                    raise answer
                if isinstance(answer, dict):
                    self.known[folder_id] = answer
        used = {o.payload.get("parentFolderId") for o in objects if not o.is_deleted}
        return [RawObject(i, self.known[i]) for i in sorted(used) if i in self.known]


async def fetch_messages(api: MailApi, book: FolderBook, ids: list[str],
                         removed: dict[str, dict] | None = None) -> Fetched:
    """Read each id whole; 404 is a tombstone (with Graph's `@removed` entry when it sent one)."""
    out = Fetched()
    ordered = list(dict.fromkeys(ids))
    answers = await api.messages(ordered) if ordered else {}
    for message_id in ordered:
        answer = answers[message_id]
        if isinstance(answer, NotFound):
            out.objects.append(tombstone(message_id, (removed or {}).get(message_id)))
        elif isinstance(answer, (Transient, Reauth)):
            raise answer
        elif isinstance(answer, GraphError):
            out.failures.append((message_id, str(answer)))
        elif isinstance(answer, dict) and answer.get("id"):
            out.objects.append(RawObject(message_id, answer))
        else:
            out.failures.append((message_id, "Graph answered a message without an id"))
    out.folders = await book.records(out.objects)
    return out


def page_ids(page: dict) -> tuple[list[str], dict[str, dict]]:
    """The ids a delta page lists, and its `@removed` entries by id."""
    ids, removed = [], {}
    for entry in page.get("value") or []:
        if not isinstance(entry, dict) or not entry.get("id"):
            continue
        ids.append(entry["id"])
        if "@removed" in entry:
            removed[entry["id"]] = entry
    return ids, removed
