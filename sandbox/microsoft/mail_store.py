"""One Outlook mailbox: folders and messages, with the two id formats Graph serves.

Every message has an immutable id (kept for life, served with ``Prefer: IdType="ImmutableId"``) and a
REST id that changes whenever the message moves to another folder, as Exchange's entry ids do.
Either finds the message. Messages keep their Graph fields as given (``data``); what Exchange owns
(ids, ``parentFolderId``, ``changeKey``, timestamps) lives beside them.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Callable

from .delta import DeltaTokens, Snapshot
from .errors import GraphError, not_found

WELL_KNOWN = {  # wellKnownName -> displayName
    "inbox": "Inbox", "drafts": "Drafts", "sentitems": "Sent Items", "deleteditems": "Deleted Items",
    "archive": "Archive", "junkemail": "Junk Email", "outbox": "Outbox",
}
READ_ONLY_AFTER_SEND = ("internetMessageId", "internetMessageHeaders")


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(27)


def new_change_key() -> str:
    return "CQAAABYAAA" + secrets.token_urlsafe(12)


@dataclass
class Folder:
    id: str
    display_name: str
    parent_id: str
    well_known: str | None = None


@dataclass
class StoredMessage:
    immutable_id: str
    rest_id: str
    folder_id: str
    data: dict
    change_key: str = field(default_factory=new_change_key)
    created: str = field(default_factory=now_iso)
    modified: str = field(default_factory=now_iso)
    attachments: list[dict] = field(default_factory=list)

    def touch(self) -> None:
        self.change_key = new_change_key()
        self.modified = now_iso()


class Mailbox:
    def __init__(self, email: str) -> None:
        self.email = email
        self.root_id = new_id("AQMkADroot")
        self.folders: dict[str, Folder] = {}
        self.well_known: dict[str, str] = {}
        self.messages: dict[str, StoredMessage] = {}  # immutable id -> message
        self.rest_ids: dict[str, str] = {}  # REST id -> immutable id
        self.delta = DeltaTokens()
        # the sandbox's change notifications: (changeType, immutable id, folder ids it touched)
        self.on_change: Callable[[str, str, list[str]], None] | None = None
        for name, display in WELL_KNOWN.items():
            folder = self.add_folder(display, None)
            folder.well_known = name
            self.well_known[name] = folder.id

    # -- folders ---------------------------------------------------------------------------------
    def add_folder(self, display_name: str, parent: str | None) -> Folder:
        parent_id = self.folder(parent).id if parent else self.root_id
        folder = Folder(new_id("AQMkAD"), display_name, parent_id)
        self.folders[folder.id] = folder
        return folder

    def folder(self, ref: str) -> Folder:
        """A folder by id or well-known name (case-insensitive, as Graph accepts them)."""
        folder = self.folders.get(ref) or self.folders.get(self.well_known.get(ref.lower(), ""))
        if folder is None:
            raise not_found("The specified folder could not be found in the store.")
        return folder

    def children(self, parent_id: str) -> list[Folder]:
        return [f for f in self.folders.values() if f.parent_id == parent_id]

    def in_folder(self, folder_id: str) -> list[StoredMessage]:
        return [m for m in self.messages.values() if m.folder_id == folder_id]

    # -- messages ------------------------------------------------------------------------------
    def get(self, message_id: str) -> StoredMessage:
        message = self.messages.get(message_id) or self.messages.get(self.rest_ids.get(message_id, ""))
        if message is None:
            raise not_found()
        return message

    def insert(self, folder: str, data: dict, message_id: str | None = None) -> StoredMessage:
        folder_id = self.folder(folder).id
        immutable = message_id if message_id and message_id not in self.messages else new_id("AAkALgAA")
        data = dict(data)
        attachments = [dict(a) for a in data.pop("attachments", None) or []]
        for attachment in attachments:
            attachment.setdefault("id", new_id("AAMkADatt"))
            attachment.setdefault("@odata.type", "#microsoft.graph.fileAttachment")
        data.setdefault("internetMessageId", f"<{uuid.uuid4().hex}@sandbox.outlook.test>")
        data.setdefault("conversationId", new_id("AAQkAD"))
        received = data.setdefault("receivedDateTime", now_iso())
        data.setdefault("sentDateTime", received)
        data.setdefault("isRead", False)
        data.setdefault("isDraft", False)
        data["hasAttachments"] = bool(attachments) or bool(data.get("hasAttachments"))
        message = StoredMessage(immutable, immutable if message_id else new_id("AAMkAD"), folder_id, data,
                                attachments=attachments)
        self.messages[immutable] = message
        self.rest_ids[message.rest_id] = immutable
        self._changed("created", immutable, [folder_id])
        return message

    def _changed(self, change_type: str, message_id: str, folder_ids: list[str]) -> None:
        if self.on_change is not None:
            self.on_change(change_type, message_id, folder_ids)

    def move(self, message_id: str, folder: str) -> StoredMessage:
        """Move to `folder`: a new REST id, the same immutable id, a new change key."""
        message = self.get(message_id)
        target = self.folder(folder).id
        if target != message.folder_id:
            del self.rest_ids[message.rest_id]
            message.rest_id = new_id("AAMkAD")
            self.rest_ids[message.rest_id] = message.immutable_id
            old, message.folder_id = message.folder_id, target
            message.touch()
            self._changed("updated", message.immutable_id, [old, target])
        return message

    def update(self, message_id: str, changes: dict) -> StoredMessage:
        message = self.get(message_id)
        for key in READ_ONLY_AFTER_SEND:
            if key in changes and not message.data.get("isDraft"):
                raise GraphError(400, "ErrorInvalidPropertyUpdateSentMessage",
                                 f"Update operation is not supported for '{key}' of a sent message.")
        for key, value in changes.items():
            if key in ("id", "parentFolderId", "changeKey", "@odata.etag", "@odata.context"):
                continue
            message.data[key] = value
        message.touch()
        self._changed("updated", message.immutable_id, [message.folder_id])
        return message

    def delete(self, message_id: str) -> None:
        message = self.get(message_id)
        del self.messages[message.immutable_id]
        del self.rest_ids[message.rest_id]
        self._changed("deleted", message.immutable_id, [message.folder_id])

    def snapshot(self, folder_id: str, immutable: bool) -> Snapshot:
        return {m.immutable_id: (m.change_key, m.immutable_id if immutable else m.rest_id)
                for m in self.in_folder(folder_id)}


def check_folder_name(name: str) -> None:
    if not name or not name.strip():
        raise ValueError("a folder needs a display name")
