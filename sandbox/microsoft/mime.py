"""Messages as Graph serves them: the JSON resource (body as html or text) and its MIME (``$value``)."""

from __future__ import annotations

import email.policy
import email.utils
import html
import re
from email.message import EmailMessage

from .odata import parse_time


def html_to_text(content: str) -> str:
    text = re.sub(r"(?is)<(script|style|head).*?</\1>", "", content)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def text_to_html(content: str) -> str:
    escaped = html.escape(content).replace("\n", "<br>\r\n")
    return ('<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\r\n</head>'
            f'<body><div>{escaped}</div></body></html>')


def body_as(body: dict | None, wanted: str) -> dict:
    """The body in ``wanted`` ("html" or "text"), converting the stored one when needed."""
    body = body or {"contentType": "text", "content": ""}
    kind = (body.get("contentType") or "text").lower()
    content = body.get("content") or ""
    if kind == wanted:
        return {"contentType": wanted, "content": content}
    converted = html_to_text(content) if wanted == "text" else text_to_html(content)
    return {"contentType": wanted, "content": converted}


def preview(body: dict | None) -> str:
    text = body_as(body, "text")["content"]
    return re.sub(r"\s+", " ", text).strip()[:255]


def _address(recipient: dict | None) -> str:
    email_address = (recipient or {}).get("emailAddress") or {}
    return email.utils.formataddr((email_address.get("name") or "", email_address.get("address") or ""))


def to_mime(data: dict) -> bytes:
    """RFC 5322 bytes for a stored message's Graph fields (headers given at creation included)."""
    message = EmailMessage(policy=email.policy.SMTP)
    if data.get("from"):
        message["From"] = _address(data["from"])
    for header, key in (("To", "toRecipients"), ("Cc", "ccRecipients")):
        if data.get(key):
            message[header] = ", ".join(_address(r) for r in data[key])
    message["Subject"] = data.get("subject") or ""
    sent = data.get("sentDateTime") or data.get("receivedDateTime")
    if sent:
        message["Date"] = email.utils.format_datetime(parse_time(sent))
    message["Message-ID"] = data.get("internetMessageId") or ""
    for header in data.get("internetMessageHeaders") or []:
        if header.get("name", "").lower() not in {h.lower() for h in message.keys()}:
            message[header["name"]] = header.get("value", "")
    body = data.get("body") or {}
    subtype = "html" if (body.get("contentType") or "").lower() == "html" else "plain"
    message.set_content(body.get("content") or "", subtype=subtype)
    return message.as_bytes()
