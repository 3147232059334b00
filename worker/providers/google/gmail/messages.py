"""Fetching Gmail messages for every path that stages them (live, once, reconcile, send).

A message that fails on its own is an item failure, never its page's; a text part Gmail left out
of format=full is fetched apart (`gmail.body`), so no body is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from worker.providers.google.capabilities import InboxLiveSettings
from worker.providers.google.client.errors import GoogleError, NotFound, Reauth, Transient
from worker.providers.google.gmail.api import GmailApi
from worker.store.staging import RawObject

RESOURCE = "gmail.message"
BODY_RESOURCE = "gmail.body"  # a text part too large for format=full: attachments.get, keyed message/attachment
LABELS_RESOURCE = "gmail.labels"  # a label-only change of a staged message: its format=minimal answer
HIDDEN_LABELS = {"SPAM", "TRASH"}


def in_scope(labels: list[str] | None, settings: InboxLiveSettings) -> bool:
    """Whether a message with these labels is one the capability syncs."""
    labels = set(labels or [])
    if not settings.include_spam_trash and labels & HIDDEN_LABELS:
        return False
    return bool(labels & set(settings.labels))


def wanted(message: dict, settings: InboxLiveSettings) -> bool:
    return in_scope(message.get("labelIds"), settings)


@dataclass
class Fetched:
    objects: list[RawObject] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (message id, error) to retry later
    bodies: list[RawObject] = field(default_factory=list)  # text parts Gmail left out of format=full


def external_body_refs(message: dict) -> list[tuple[str, str]]:
    """(message id, attachment id) of the text parts that can be the body but whose content Gmail
    did not inline: large parts, and parts with a filename that are not `Content-Disposition:
    attachment` (an inline text part with a filename is the body to every mail client and to
    Python's get_body(), yet Gmail gives it an attachmentId). Without them the body would be lost."""
    refs, stack = [], [message.get("payload") or {}]
    while stack:
        part = stack.pop()
        if not isinstance(part, dict):
            continue
        stack.extend(part.get("parts") or [])
        body = part.get("body") or {}
        disposition = next((str(h.get("value", "")) for h in part.get("headers") or []
                            if isinstance(h, dict) and str(h.get("name", "")).lower() == "content-disposition"), "")
        if (str(part.get("mimeType", "")).lower().startswith("text/")
                and disposition.split(";")[0].strip().lower() != "attachment"
                and body.get("attachmentId") and not body.get("data")):
            refs.append((message["id"], body["attachmentId"]))
    return refs


async def fetch_bodies(api: GmailApi, objects: list[RawObject]) -> list[RawObject]:
    refs = [ref for obj in objects if not obj.is_deleted for ref in external_body_refs(obj.payload)]
    if not refs:
        return []
    bodies = []
    for (message_id, attachment_id), result in (await api.get_attachments(refs)).items():
        if isinstance(result, NotFound):
            continue  # the message went away meanwhile; its deletion comes through history
        if isinstance(result, GoogleError):
            raise result
        bodies.append(RawObject(f"{message_id}/{attachment_id}", result))
    return bodies


async def fetch_objects(api: GmailApi, ids: list[str], *, gone_is_tombstone: bool) -> Fetched:
    """Fetch full messages. A message deleted meanwhile becomes a tombstone when we follow history;
    otherwise it, like any message that fails on its own, is an item failure — the rest of the page
    is staged, and the failure is retried by later runs."""
    fetched = Fetched()
    for message_id, result in (await api.get_messages(ids)).items():
        if isinstance(result, NotFound) and gone_is_tombstone:
            fetched.objects.append(RawObject(message_id, {"id": message_id}, is_deleted=True))
        elif isinstance(result, (Transient, Reauth)):
            raise result  # retries were exhausted: the whole run fails and the cursor stays
        elif isinstance(result, GoogleError):
            fetched.failures.append((message_id, str(result)))
        else:
            fetched.objects.append(RawObject(message_id, result))
    fetched.bodies = await fetch_bodies(api, fetched.objects)
    return fetched


def newer_than_query(settings: InboxLiveSettings) -> str | None:
    return f"newer_than:{settings.newer_than_days}d" if settings.newer_than_days else None
