"""One Gmail mailbox: messages, labels, drafts and the history that records every change.

Every change to the mailbox appends one history record with a new, larger ``historyId``
(``messagesAdded``, ``messagesDeleted``, ``labelsAdded``, ``labelsRemoved``); that ordered log is
what incremental sync reads. Records older than the retained window are dropped and a
``startHistoryId`` before the window is refused, as Gmail does after about a week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import mime

SYSTEM_LABELS = [
    "INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "CHAT",
    "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES",
    "CATEGORY_FORUMS",
]
_HIDDEN = {"CHAT", "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS",
           "CATEGORY_UPDATES", "CATEGORY_FORUMS"}


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    label_ids: list[str]
    internal_date: int  # epoch ms
    raw: bytes
    parsed: mime.ParsedMessage
    history_id: int

    def ref(self) -> dict:
        return {"id": self.id, "threadId": self.thread_id}

    def ref_with_labels(self) -> dict:
        return {"id": self.id, "threadId": self.thread_id, "labelIds": list(self.label_ids)}


@dataclass
class Mailbox:
    email: str
    history_id: int
    history_floor: int  # a startHistoryId below this is outside the retained window
    retention: int | None = None  # records kept; None keeps all
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    labels: dict[str, dict] = field(default_factory=dict)
    drafts: dict[str, str] = field(default_factory=dict)  # draft id -> message id
    by_message_id: dict[str, str] = field(default_factory=dict)  # RFC 822 Message-ID -> thread
    _ordered: list[StoredMessage] | None = None
    # (email, historyId, labelIds touched) after each change: the Gmail push of a watched mailbox
    on_change: Callable[[str, int, list[str]], None] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in SYSTEM_LABELS:
            label = {"id": name, "name": name, "type": "system"}
            if name not in _HIDDEN:
                label.update(messageListVisibility="show", labelListVisibility="labelShow")
            self.labels[name] = label

    # -- reading -----------------------------------------------------------------------------
    def newest_first(self) -> list[StoredMessage]:
        if self._ordered is None:
            self._ordered = sorted(self.messages.values(), key=lambda m: (m.internal_date, m.id),
                                   reverse=True)
        return self._ordered

    def thread_count(self) -> int:
        return len({m.thread_id for m in self.messages.values()})

    def label_by_name(self, name: str) -> str | None:
        wanted = name.lower().replace("-", " ").replace("/", " ")
        for label in self.labels.values():
            if label["id"].lower() == name.lower():
                return label["id"]
            if label["name"].lower().replace("-", " ").replace("/", " ") == wanted:
                return label["id"]
        return None

    # -- changing ----------------------------------------------------------------------------
    def _append(self, record: dict) -> int:
        self.history_id += 1
        record = {"id": str(self.history_id), **record}
        self.history.append(record)
        if self.retention is not None and len(self.history) > self.retention:
            dropped = self.history[: len(self.history) - self.retention]
            del self.history[: len(dropped)]
            self.history_floor = max(self.history_floor, int(dropped[-1]["id"]))
        self._ordered = None
        if self.on_change is not None:
            self.on_change(self.email, self.history_id, _labels_of(record))
        return self.history_id

    def thread_for(self, parsed: mime.ParsedMessage, requested: str | None) -> str | None:
        if requested and any(m.thread_id == requested for m in self.messages.values()):
            return requested
        refs = (parsed.headers.get("references", "") + " " + parsed.headers.get("in-reply-to", ""))
        for ref in reversed(refs.split()):
            if ref in self.by_message_id:
                return self.by_message_id[ref]
        return None

    def add(self, message: StoredMessage) -> int:
        for label in message.label_ids:
            self.ensure_label(label)
        self.messages[message.id] = message
        if message.parsed.message_id:
            self.by_message_id.setdefault(message.parsed.message_id, message.thread_id)
        entry = {"message": message.ref_with_labels()}
        message.history_id = self._append({"messages": [message.ref()], "messagesAdded": [entry]})
        return message.history_id

    def delete(self, message_id: str) -> int:
        message = self.messages.pop(message_id)
        self.drafts = {d: m for d, m in self.drafts.items() if m != message_id}
        entry = {"message": message.ref_with_labels()}
        return self._append({"messages": [message.ref()], "messagesDeleted": [entry]})

    def ensure_label(self, label_id: str) -> None:
        if label_id not in self.labels:
            self.labels[label_id] = {
                "id": label_id, "name": label_id, "type": "user",
                "messageListVisibility": "show", "labelListVisibility": "labelShow",
            }

    def create_label(self, name: str) -> str:
        existing = self.label_by_name(name)
        if existing:
            return existing
        label_id = f"Label_{sum(1 for l in self.labels.values() if l['type'] == 'user') + 1}"
        self.ensure_label(label_id)
        self.labels[label_id]["name"] = name
        return label_id

    def relabel(self, message_id: str, add=(), remove=()) -> int | None:
        """Apply label changes; one history record for the effective ones (None if no change)."""
        message = self.messages[message_id]
        added = [l for l in dict.fromkeys(add) if l not in message.label_ids]
        removed = [l for l in dict.fromkeys(remove) if l in message.label_ids and l not in added]
        if not added and not removed:
            return None
        for label in added:
            self.ensure_label(label)
            message.label_ids.append(label)
        message.label_ids = [l for l in message.label_ids if l not in removed]
        record: dict = {"messages": [message.ref()]}
        if added:
            record["labelsAdded"] = [{"message": message.ref_with_labels(), "labelIds": added}]
        if removed:
            record["labelsRemoved"] = [{"message": message.ref_with_labels(), "labelIds": removed}]
        message.history_id = self._append(record)
        return message.history_id

    def expire_history_before(self, history_id: int) -> None:
        self.history = [r for r in self.history if int(r["id"]) >= history_id]
        self.history_floor = max(self.history_floor, history_id)


def _labels_of(record: dict) -> list[str]:
    """The labels a history record touches: its messages' labels and the labels added or removed."""
    labels: set[str] = set()
    for key in ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved"):
        for entry in record.get(key, ()):
            labels.update(entry.get("message", {}).get("labelIds", ()))
            labels.update(entry.get("labelIds", ()))
    return sorted(labels)
