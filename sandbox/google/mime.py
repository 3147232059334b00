"""RFC 2822 source <-> Gmail ``MessagePart`` trees, using only Python's ``email`` package.

Gmail stores the raw source and derives everything else from it: the part tree with ``partId``s,
``body.data`` as base64url of each leaf's *decoded* bytes (transfer encoding removed, charset kept),
``attachmentId`` instead of data for attachments and large parts, header values with RFC 2047
encoded words decoded, the snippet. The sandbox does the same once at import, so a message read as
``format=raw`` and ``format=full`` always agree.
"""

from __future__ import annotations

import base64
import hashlib
import html
import quopri
import re
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import Header, decode_header, make_header
from email.message import Message
from email.policy import compat32
from email.utils import formataddr, getaddresses, parsedate_to_datetime

ADDRESS_HEADERS = {"from", "to", "cc", "bcc", "reply-to", "sender", "delivered-to", "return-path"}
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def b64url_decode(text: str) -> bytes:
    text = text.strip().replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _text(value: str) -> str:
    """Header text from compat32 (raw 8-bit bytes arrive as surrogate escapes) as real text."""
    try:
        return value.encode("ascii", "surrogateescape").decode("utf-8")
    except UnicodeDecodeError:
        return value.encode("ascii", "surrogateescape").decode("latin-1")
    except UnicodeEncodeError:
        return value


def decode_words(value: str) -> str:
    value = re.sub(r"\r?\n[ \t]+", " ", value).strip()
    if "=?" not in value:
        return _text(value)
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeDecodeError, ValueError):
        return _text(value)


def decode_header_value(name: str, value: str) -> str:
    """A header as Gmail shows it: unfolded, encoded words decoded, display names still parseable."""
    if name.lower() not in ADDRESS_HEADERS or "=?" not in value:
        return decode_words(value)
    out = []
    for display, address in getaddresses([re.sub(r"\r?\n[ \t]+", " ", value)]):
        display = decode_words(display) if display else ""
        if not display:
            out.append(address)
            continue
        if _SPECIALS.search(display):
            display = '"' + display.replace("\\", "\\\\").replace('"', '\\"') + '"'
        out.append(f"{display} <{address}>")
    return ", ".join(out)


def attachment_id(message_id: str, part_id: str) -> str:
    digest = hashlib.sha256(f"{message_id}/{part_id}".encode()).digest()
    return "ANGjdJ" + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass
class ParsedMessage:
    """Everything derived from one raw source, computed once at import."""

    payload: dict
    attachments: dict[str, bytes] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case name -> first decoded value
    snippet: str = ""
    text: str = ""  # searchable body text
    has_attachment: bool = False

    @property
    def message_id(self) -> str | None:
        value = self.headers.get("message-id")
        return value.strip() if value else None


def _leaf_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload()
        if isinstance(inner, list):
            return b"".join(m.as_bytes() for m in inner)
        return inner.encode("utf-8", "surrogateescape") if isinstance(inner, str) else b""
    data = part.get_payload(decode=True)
    return data or b""


def _decode_text(data: bytes, charset: str | None) -> str:
    for candidate in (charset, "utf-8", "latin-1"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def parse(raw: bytes, message_id: str, attachment_threshold: int = 8192) -> ParsedMessage:
    msg = message_from_bytes(raw, policy=compat32)
    parsed = ParsedMessage(payload={})
    texts: dict[str, list[str]] = {"text/plain": [], "text/html": []}

    def build(part: Message, part_id: str) -> dict:
        headers = [{"name": k, "value": decode_header_value(k, v)} for k, v in part.items()]
        filename = part.get_filename() or ""
        if filename:
            filename = decode_words(filename)
        node = {"partId": part_id, "mimeType": part.get_content_type(), "filename": filename,
                "headers": headers}
        if part.is_multipart() and part.get_content_maintype() == "multipart":
            node["body"] = {"size": 0}
            node["parts"] = [
                build(sub, f"{part_id}.{i}" if part_id else str(i))
                for i, sub in enumerate(part.get_payload())
            ]
            return node
        data = _leaf_bytes(part)
        body: dict = {"size": len(data)}
        is_attachment = bool(filename) or (part.get_content_disposition() == "attachment")
        if (is_attachment and data) or len(data) > attachment_threshold:
            aid = attachment_id(message_id, part_id)
            parsed.attachments[aid] = data
            body["attachmentId"] = aid
            parsed.has_attachment = parsed.has_attachment or is_attachment
        elif data:
            body["data"] = b64url(data)
        if not is_attachment and node["mimeType"] in texts:
            texts[node["mimeType"]].append(_decode_text(data, part.get_content_charset()))
        node["body"] = body
        return node

    parsed.payload = build(msg, "")
    for header in parsed.payload["headers"]:
        parsed.headers.setdefault(header["name"].lower(), header["value"])
    plain = "\n".join(texts["text/plain"])
    if not plain and texts["text/html"]:
        plain = html.unescape(re.sub(r"<[^>]+>", " ", "\n".join(texts["text/html"])))
    parsed.text = plain
    parsed.snippet = snippet(plain)
    return parsed


def snippet(text: str, length: int = 200) -> str:
    collapsed = " ".join(text.split())[:length]
    return (collapsed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def date_ms(raw_date: str | None) -> int | None:
    if not raw_date:
        return None
    try:
        parsed = parsedate_to_datetime(raw_date)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        from datetime import timezone

        parsed = parsed.replace(tzinfo=timezone.utc)
    return int(parsed.timestamp() * 1000)


# -- from a Message resource back to source ----------------------------------------------------
def _encode_header(name: str, value: str) -> str:
    if value.isascii():
        return value
    if name.lower() in ADDRESS_HEADERS:
        return ", ".join(formataddr(pair, charset="utf-8") for pair in getaddresses([value]))
    return Header(value, "utf-8").encode()


def _param(content_type: str, name: str) -> str | None:
    probe = Message()
    probe["Content-Type"] = content_type
    value = probe.get_param(name)
    return value if isinstance(value, str) else None


def payload_to_raw(part: dict, attachments: dict[str, bytes] | None = None) -> bytes:
    """Rebuild RFC 2822 bytes from a ``format=full`` part tree (inverse of ``parse``)."""
    headers = list(part.get("headers") or [])
    names = {h["name"].lower(): h["value"] for h in headers}
    sub_parts = part.get("parts") or []
    mime_type = part.get("mimeType", "text/plain")
    if mime_type.startswith("multipart/") or sub_parts:
        boundary = _param(names.get("content-type", ""), "boundary")
        if not boundary:
            boundary = "sandbox-" + hashlib.sha1(repr(part).encode()).hexdigest()[:24]
            headers = [h for h in headers if h["name"].lower() != "content-type"]
            headers.append({"name": "Content-Type", "value": f'{mime_type}; boundary="{boundary}"'})
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + payload_to_raw(p, attachments) + b"\r\n"
                        for p in sub_parts)
        body += b"--" + boundary.encode() + b"--\r\n"
    else:
        data_field = (part.get("body") or {}).get("data")
        aid = (part.get("body") or {}).get("attachmentId")
        data = b64url_decode(data_field) if data_field else (attachments or {}).get(aid, b"")
        encoding = names.get("content-transfer-encoding", "").strip().lower()
        if encoding == "base64":
            body = base64.encodebytes(data).replace(b"\n", b"\r\n")
        elif encoding == "quoted-printable":
            body = quopri.encodestring(data).replace(b"\n", b"\r\n")
        else:
            body = data
        if "content-type" not in names and mime_type != "text/plain":
            headers.append({"name": "Content-Type", "value": mime_type})
    head = "".join(f"{h['name']}: {_encode_header(h['name'], h['value'])}\r\n" for h in headers)
    return head.encode("utf-8") + b"\r\n" + body
