"""RFC 2822 source -> Gmail `users.messages.get?format=full` Message resource.

Used to stage realistic raw rows for the normalization tests: the part tree, the raw (still
RFC 2047-encoded) header values, and each leaf's decoded bytes as base64url, as Gmail returns them.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
from email.message import Message


def b64url(data: bytes, *, padded: bool = True) -> str:
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if padded else text.rstrip("=")


def _headers(part: Message, *, unfold: bool) -> list[dict]:
    out = []
    for name, value in part.raw_items():
        value = str(value)
        if unfold:
            value = value.replace("\r\n", "").replace("\n", "")
        out.append({"name": name, "value": value})
    return out


def _part(part: Message, part_id: str, *, padded: bool, unfold: bool, inline_attachments: bool) -> dict:
    node = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": _headers(part, unfold=unfold),
    }
    if part.is_multipart():
        node["body"] = {"size": 0}
        children = part.get_payload()
        node["parts"] = [
            _part(child, f"{part_id}.{i}" if part_id else str(i), padded=padded, unfold=unfold,
                  inline_attachments=inline_attachments)
            for i, child in enumerate(children)
        ]
        return node
    data = part.get_payload(decode=True) or b""
    if node["filename"] and not inline_attachments:
        node["body"] = {"attachmentId": "ANGj" + hashlib.sha1(data).hexdigest(), "size": len(data)}
    else:
        node["body"] = {"size": len(data), "data": b64url(data, padded=padded)}
    return node


def gmail_full(raw: bytes, *, message_id: str, thread_id: str | None = None, labels=("INBOX",),
               internal_date_ms: int | None = None, padded: bool = True, unfold: bool = True,
               inline_attachments: bool = False) -> dict:
    """The format=full resource Gmail would return for `raw`."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if internal_date_ms is None:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        date = parsed["date"].datetime if parsed["date"] is not None else None
        internal_date_ms = int(date.timestamp() * 1000) if date is not None else 1_700_000_000_000
    return {
        "id": message_id,
        "threadId": thread_id or message_id,
        "labelIds": list(labels),
        "snippet": "",
        "historyId": "1000",
        "internalDate": str(internal_date_ms),
        "sizeEstimate": len(raw),
        "payload": _part(msg, "", padded=padded, unfold=unfold, inline_attachments=inline_attachments),
    }
