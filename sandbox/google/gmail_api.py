"""Gmail v1 methods over the mailboxes, answering exactly the JSON Google documents.

Each handler takes the authenticated ``Call`` and returns a JSON-able dict (or raises
``ApiError``); routing, auth, scopes, quota and faults happen before it in ``app``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from email import message_from_bytes
from email.policy import compat32
from email.utils import getaddresses, make_msgid

from ..core.wire import Request
from . import mime
from .errors import ApiError, invalid, not_found
from .gmail_query import compile_query
from .mailbox import Mailbox, StoredMessage
from .state import World

FULL_READ_SCOPES = {
    "https://mail.google.com/",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.modify",
}
METADATA_SCOPE = "https://www.googleapis.com/auth/gmail.metadata"


class Call:
    """One authenticated API call: the request plus the account it acts for."""

    def __init__(self, req: Request, email: str, scopes: frozenset[str]) -> None:
        self.req = req
        self.email = email
        self.scopes = scopes

    @property
    def metadata_only(self) -> bool:
        return METADATA_SCOPE in self.scopes and not (self.scopes & FULL_READ_SCOPES)


def _page_token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _read_page_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise invalid("Invalid pageToken") from None


def message_resource(message: StoredMessage, fmt: str = "full", metadata_headers=()) -> dict:
    out = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": list(message.label_ids),
        "snippet": message.parsed.snippet,
        "sizeEstimate": len(message.raw),
        "historyId": str(message.history_id),
        "internalDate": str(message.internal_date),
    }
    if fmt == "full":
        out["payload"] = message.parsed.payload
    elif fmt == "raw":
        out["raw"] = mime.b64url(message.raw)
    elif fmt == "metadata":
        wanted = {h.lower() for h in metadata_headers}
        headers = message.parsed.payload["headers"]
        if wanted:
            headers = [h for h in headers if h["name"].lower() in wanted]
        out["payload"] = {"partId": "", "mimeType": message.parsed.payload["mimeType"],
                          "filename": "", "headers": headers, "body": {"size": 0}}
    return out


class GmailApi:
    def __init__(self, world: World, pubsub=None) -> None:
        self.world = world
        self.pubsub = pubsub  # pubsub.PubSubPush: watches publish the mailbox's changes

    def handlers(self) -> dict:
        p = "gmail.users."
        return {
            p + "getProfile": self.get_profile,
            p + "watch": self.watch,
            p + "stop": self.stop,
            p + "messages.list": self.list_messages,
            p + "messages.get": self.get_message,
            p + "messages.send": self.send_message,
            p + "messages.insert": self.insert_message,
            p + "messages.import": self.insert_message,
            p + "messages.modify": self.modify_message,
            p + "messages.batchModify": self.batch_modify,
            p + "messages.trash": self.trash_message,
            p + "messages.untrash": self.untrash_message,
            p + "messages.delete": self.delete_message,
            p + "messages.batchDelete": self.batch_delete,
            p + "messages.attachments.get": self.get_attachment,
            p + "history.list": self.list_history,
            p + "labels.list": self.list_labels,
            p + "labels.get": self.get_label,
            p + "labels.create": self.create_label,
            p + "drafts.create": self.create_draft,
            p + "drafts.get": self.get_draft,
            p + "drafts.list": self.list_drafts,
            p + "drafts.delete": self.delete_draft,
            p + "drafts.send": self.send_draft,
            p + "threads.get": self.get_thread,
            p + "threads.list": self.list_threads,
        }

    # -- helpers -----------------------------------------------------------------------------
    def _box(self, call: Call) -> Mailbox:
        return self.world.mailbox(call.email)

    def _message(self, box: Mailbox, message_id: str) -> StoredMessage:
        message = box.messages.get(message_id)
        if message is None:
            raise not_found()
        return message

    # -- profile and push --------------------------------------------------------------------
    def get_profile(self, call: Call) -> dict:
        box = self._box(call)
        return {"emailAddress": call.email, "messagesTotal": len(box.messages),
                "threadsTotal": box.thread_count(), "historyId": str(box.history_id)}

    def watch(self, call: Call) -> dict:
        body = call.req.json() or {}
        topic = body.get("topicName")
        if not topic or not re.fullmatch(r"projects/[^/]+/topics/[^/]+", topic):
            raise invalid("Invalid topicName does not match projects/SOME_PROJECT/topics/SOME_TOPIC")
        behavior = body.get("labelFilterBehavior") or "include"
        if behavior not in ("include", "exclude"):
            raise invalid(f"Invalid labelFilterBehavior: {behavior}")
        if self.pubsub is None:
            expiration = int(time.time() * 1000) + 7 * 86400 * 1000
        else:
            expiration = self.pubsub.watch(call.email, topic, body.get("labelIds") or [], behavior)
        return {"historyId": str(self._box(call).history_id), "expiration": str(expiration)}

    def stop(self, call: Call) -> dict:
        if self.pubsub is not None:
            self.pubsub.stop(call.email)
        return {}

    # -- messages ----------------------------------------------------------------------------
    def list_messages(self, call: Call) -> dict:
        req = call.req
        box = self._box(call)
        q = req.param("q")
        if q and call.metadata_only:
            raise ApiError(403, "forbidden", "Metadata scope does not support 'q' parameter")
        max_results = req.int_param("maxResults", 100, 500) or 100
        label_ids = req.params("labelIds")
        include_spam_trash = req.bool_param("includeSpamTrash")
        matches, names_spam_trash = compile_query(box, q or "")
        hide = set() if include_spam_trash or names_spam_trash else {"SPAM", "TRASH"} - set(label_ids)
        after = None
        token = req.param("pageToken")
        if token:
            stamp, _, last_id = _read_page_token(token).partition(":")
            after = (int(stamp), last_id)
        selected = []
        for message in box.newest_first():
            if after and (message.internal_date, message.id) >= after:
                continue
            if hide and hide.intersection(message.label_ids):
                continue
            if any(l not in message.label_ids for l in label_ids):
                continue
            if q and not matches(message):
                continue
            selected.append(message)
            if len(selected) > max_results:
                break
        out: dict = {}
        page = selected[:max_results]
        if page:
            out["messages"] = [m.ref() for m in page]
        if len(selected) > max_results:
            last = page[-1]
            out["nextPageToken"] = _page_token(f"{last.internal_date}:{last.id}")
        out["resultSizeEstimate"] = len(page)
        return out

    def get_message(self, call: Call) -> dict:
        req = call.req
        fmt = (req.param("format") or "full").lower()
        if fmt not in ("minimal", "full", "raw", "metadata"):
            raise invalid(f"Invalid value at 'format' ({fmt})")
        if call.metadata_only and fmt in ("full", "raw"):
            raise ApiError(403, "forbidden", f"Metadata scope doesn't allow format {fmt.upper()}")
        message = self._message(self._box(call), req.path_params["id"])
        return message_resource(message, fmt, req.params("metadataHeaders"))

    def _raw_from_body(self, body: dict) -> bytes:
        raw = body.get("raw")
        if not raw:
            raise invalid("'raw' RFC822 payload message string or uploading message via /upload/* URL required")
        try:
            return mime.b64url_decode(raw)
        except ValueError:
            raise invalid("Invalid value for ByteString") from None

    def _deliver_sent(self, call: Call, raw: bytes, thread_id: str | None) -> StoredMessage:
        msg = message_from_bytes(raw, policy=compat32)
        if not any(msg.get(h) for h in ("To", "Cc", "Bcc")):
            raise invalid("Invalid To header")
        prepend = b""
        if not msg.get("Message-ID"):
            prepend += f"Message-ID: {make_msgid(domain='mail.gmail.com')}\r\n".encode()
        if not msg.get("From"):
            prepend += f"From: {call.email}\r\n".encode()
        if not msg.get("Date"):
            from email.utils import formatdate

            prepend += f"Date: {formatdate(localtime=False)}\r\n".encode()
        raw = prepend + raw
        box = self._box(call)
        if thread_id and not any(m.thread_id == thread_id for m in box.messages.values()):
            raise not_found()
        now = int(time.time() * 1000)
        sent = self.world.import_raw(call.email, raw, ["SENT"], internal_date=now, thread_id=thread_id)
        recipients = getaddresses([msg.get(h, "") for h in ("To", "Cc", "Bcc")])
        for _, address in recipients:
            address = address.lower()
            if address and address != call.email and address in self.world.mailboxes:
                self.world.import_raw(address, raw, ["INBOX", "UNREAD"], internal_date=now)
        return sent

    def send_message(self, call: Call) -> dict:
        body = call.req.json()
        sent = self._deliver_sent(call, self._raw_from_body(body), body.get("threadId"))
        return sent.ref_with_labels()

    def insert_message(self, call: Call) -> dict:
        body = call.req.json()
        labels = body.get("labelIds") or ["INBOX", "UNREAD"]
        stored = self.world.import_raw(call.email, self._raw_from_body(body), labels,
                                       thread_id=body.get("threadId"))
        return stored.ref_with_labels()

    def _validate_labels(self, box: Mailbox, labels) -> None:
        for label in labels:
            if label not in box.labels:
                raise invalid(f"Invalid label: {label}")

    def modify_message(self, call: Call) -> dict:
        body = call.req.json()
        box = self._box(call)
        message = self._message(box, call.req.path_params["id"])
        add, remove = body.get("addLabelIds") or [], body.get("removeLabelIds") or []
        self._validate_labels(box, add + remove)
        box.relabel(message.id, add, remove)
        return message_resource(message, "minimal")

    def batch_modify(self, call: Call) -> dict:
        body = call.req.json()
        box = self._box(call)
        add, remove = body.get("addLabelIds") or [], body.get("removeLabelIds") or []
        self._validate_labels(box, add + remove)
        for message_id in body.get("ids") or []:
            if message_id in box.messages:
                box.relabel(message_id, add, remove)
        return {}

    def trash_message(self, call: Call) -> dict:
        box = self._box(call)
        message = self._message(box, call.req.path_params["id"])
        box.relabel(message.id, ["TRASH"], ["INBOX", "SPAM"])
        return message_resource(message, "minimal")

    def untrash_message(self, call: Call) -> dict:
        box = self._box(call)
        message = self._message(box, call.req.path_params["id"])
        box.relabel(message.id, ["INBOX"] if "SENT" not in message.label_ids else [], ["TRASH"])
        return message_resource(message, "minimal")

    def delete_message(self, call: Call) -> dict:
        box = self._box(call)
        box.delete(self._message(box, call.req.path_params["id"]).id)
        return {}

    def batch_delete(self, call: Call) -> dict:
        box = self._box(call)
        for message_id in call.req.json().get("ids") or []:
            if message_id in box.messages:
                box.delete(message_id)
        return {}

    def get_attachment(self, call: Call) -> dict:
        message = self._message(self._box(call), call.req.path_params["messageId"])
        attachment_id = call.req.path_params["id"]
        data = message.parsed.attachments.get(attachment_id)
        if data is None:
            raise invalid("Invalid attachment token")
        return {"attachmentId": attachment_id, "size": len(data), "data": mime.b64url(data)}

    # -- history -----------------------------------------------------------------------------
    def list_history(self, call: Call) -> dict:
        req = call.req
        box = self._box(call)
        raw_start = req.param("startHistoryId")
        if not raw_start:
            raise invalid("Missing startHistoryId")
        try:
            start = int(raw_start)
        except ValueError:
            raise invalid(f"Invalid startHistoryId: {raw_start}") from None
        if start < box.history_floor:
            raise not_found()
        max_results = req.int_param("maxResults", 100, 500) or 100
        types = set(req.params("historyTypes"))
        allowed_types = {"messageAdded", "messageDeleted", "labelAdded", "labelRemoved"}
        if types - allowed_types:
            raise invalid(f"Invalid historyTypes: {sorted(types - allowed_types)}")
        label = req.param("labelId")
        token = req.param("pageToken")
        lower = max(start, int(_read_page_token(token)) - 1) if token else start
        keys = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}
        wanted = {keys[t] for t in types} if types else set(keys.values())
        records, next_token = [], None
        for record in box.history:
            record_id = int(record["id"])
            if record_id <= lower:
                continue
            shaped = _shape_record(record, wanted, label)
            if shaped is None:
                continue
            if len(records) == max_results:
                next_token = _page_token(str(record_id))
                break
            records.append(shaped)
        out: dict = {}
        if records:
            out["history"] = records
        if next_token:
            out["nextPageToken"] = next_token
        out["historyId"] = str(box.history_id)
        return out

    # -- labels ------------------------------------------------------------------------------
    def list_labels(self, call: Call) -> dict:
        return {"labels": [dict(l) for l in self._box(call).labels.values()]}

    def get_label(self, call: Call) -> dict:
        box = self._box(call)
        label = box.labels.get(call.req.path_params["id"])
        if label is None:
            raise not_found()
        counted = [m for m in box.messages.values() if label["id"] in m.label_ids]
        return {**label, "messagesTotal": len(counted),
                "messagesUnread": sum("UNREAD" in m.label_ids for m in counted),
                "threadsTotal": len({m.thread_id for m in counted}),
                "threadsUnread": len({m.thread_id for m in counted if "UNREAD" in m.label_ids})}

    def create_label(self, call: Call) -> dict:
        name = call.req.json().get("name")
        if not name:
            raise invalid("Invalid label name")
        box = self._box(call)
        if box.label_by_name(name):
            raise ApiError(409, "duplicate", "Label name exists or conflicts")
        return dict(box.labels[box.create_label(name)])

    # -- drafts ------------------------------------------------------------------------------
    def _draft_resource(self, box: Mailbox, draft_id: str, fmt: str = "minimal") -> dict:
        message = box.messages[box.drafts[draft_id]]
        return {"id": draft_id, "message": message_resource(message, fmt) if fmt != "ref"
                else message.ref_with_labels()}

    def create_draft(self, call: Call) -> dict:
        message = call.req.json().get("message") or {}
        raw = self._raw_from_body(message)
        box = self._box(call)
        thread_id = message.get("threadId")
        if thread_id and not any(m.thread_id == thread_id for m in box.messages.values()):
            raise not_found()
        stored = self.world.import_raw(call.email, raw, ["DRAFT"], thread_id=thread_id,
                                       internal_date=int(time.time() * 1000))
        draft_id = "r" + str(int(stored.id, 16) % 10**19)
        box.drafts[draft_id] = stored.id
        return self._draft_resource(box, draft_id, "ref")

    def _draft(self, box: Mailbox, draft_id: str | None) -> str:
        if not draft_id or draft_id not in box.drafts:
            raise not_found()
        return draft_id

    def get_draft(self, call: Call) -> dict:
        box = self._box(call)
        fmt = (call.req.param("format") or "full").lower()
        return self._draft_resource(box, self._draft(box, call.req.path_params["id"]), fmt)

    def list_drafts(self, call: Call) -> dict:
        box = self._box(call)
        drafts = [self._draft_resource(box, d, "ref") for d in box.drafts]
        drafts = [{"id": d["id"], "message": {"id": d["message"]["id"],
                                              "threadId": d["message"]["threadId"]}} for d in drafts]
        out: dict = {"resultSizeEstimate": len(drafts)}
        if drafts:
            out["drafts"] = drafts
        return out

    def delete_draft(self, call: Call) -> dict:
        box = self._box(call)
        draft_id = self._draft(box, call.req.path_params["id"])
        box.delete(box.drafts.pop(draft_id))
        return {}

    def send_draft(self, call: Call) -> dict:
        body = call.req.json()
        box = self._box(call)
        draft_id = self._draft(box, body.get("id"))
        draft_message = box.messages[box.drafts[draft_id]]
        replacement = body.get("message") or {}
        raw = self._raw_from_body(replacement) if replacement.get("raw") else draft_message.raw
        thread_id = replacement.get("threadId") or draft_message.thread_id
        box.delete(box.drafts.pop(draft_id))
        if not any(m.thread_id == thread_id for m in box.messages.values()):
            thread_id = None
        return self._deliver_sent(call, raw, thread_id).ref_with_labels()

    # -- threads -----------------------------------------------------------------------------
    def get_thread(self, call: Call) -> dict:
        box = self._box(call)
        thread_id = call.req.path_params["id"]
        members = sorted((m for m in box.messages.values() if m.thread_id == thread_id),
                         key=lambda m: (m.internal_date, m.id))
        if not members:
            raise not_found()
        fmt = (call.req.param("format") or "full").lower()
        return {"id": thread_id, "historyId": str(max(m.history_id for m in members)),
                "messages": [message_resource(m, fmt, call.req.params("metadataHeaders"))
                             for m in members]}

    def list_threads(self, call: Call) -> dict:
        listing = self.list_messages(call)
        box = self._box(call)
        seen, threads = set(), []
        for ref in listing.get("messages", []):
            if ref["threadId"] in seen:
                continue
            seen.add(ref["threadId"])
            message = box.messages[ref["id"]]
            threads.append({"id": ref["threadId"], "snippet": message.parsed.snippet,
                            "historyId": str(message.history_id)})
        out: dict = {"resultSizeEstimate": len(threads)}
        if threads:
            out["threads"] = threads
        if "nextPageToken" in listing:
            out["nextPageToken"] = listing["nextPageToken"]
        return out


def _shape_record(record: dict, wanted: set[str], label: str | None) -> dict | None:
    shaped = {"id": record["id"], "messages": record["messages"]}
    kept = False
    for key in ("messagesAdded", "messagesDeleted", "labelsAdded", "labelsRemoved"):
        if key not in record or key not in wanted:
            continue
        entries = record[key]
        if label:
            entries = [e for e in entries
                       if label in e["message"].get("labelIds", []) or label in e.get("labelIds", [])]
        if entries:
            shaped[key] = entries
            kept = True
    return shaped if kept else None


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
