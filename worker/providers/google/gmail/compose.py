"""Composing RFC 2822 messages with Python's `email` package: text + HTML, attachments, replies."""

from __future__ import annotations

import base64
import mimetypes
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path


def new_message_id(account: str) -> str:
    domain = account.rsplit("@", 1)[-1] if "@" in account else "integrations.local"
    return make_msgid(idstring="crm", domain=domain)


def compose(*, sender: str, to: list[str], cc: list[str] | None = None, bcc: list[str] | None = None,
            subject: str, text: str, html: str | None = None, attachments: list[dict] | None = None,
            message_id: str, in_reply_to: str | None = None, references: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if bcc:
        msg["Bcc"] = ", ".join(bcc)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = f"{references} {in_reply_to}".strip() if references else in_reply_to
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for attachment in attachments or []:
        data = base64.b64decode(attachment["data_b64"])
        maintype, _, subtype = attachment.get("content_type", "application/octet-stream").partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment["filename"])
    return msg.as_bytes()


def attachment_from_file(path: str) -> dict:
    file = Path(path)
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return {"filename": file.name, "content_type": content_type,
            "data_b64": base64.b64encode(file.read_bytes()).decode()}


def to_base64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
