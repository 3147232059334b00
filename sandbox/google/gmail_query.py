"""Gmail's search operators (``q``) compiled into a predicate over stored messages.

Supported: ``from: to: cc: bcc: subject: after: before: older_than: newer_than: label: in:
is: has:attachment rfc822msgid: filename:``, quoted phrases, plain words (subject, addresses and
body text), ``-`` negation and ``OR`` between two terms. Dates ``YYYY/MM/DD`` are read as UTC
midnight; bare numbers as epoch seconds.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

from .errors import bad_request
from .mailbox import Mailbox, StoredMessage

_TOKEN = re.compile(r'-?[\w.]+:"[^"]*"|-?[\w.]+:\([^)]*\)|-?"[^"]*"|\S+')
_UNITS = {"d": 86400, "m": 30 * 86400, "y": 365 * 86400}


def _epoch_ms(value: str) -> int:
    if value.isdigit():
        return int(value) * 1000
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%m/%d/%Y"):
        try:
            return int(datetime.strptime(value, fmt).replace(tzinfo=timezone.utc).timestamp() * 1000)
        except ValueError:
            continue
    raise bad_request(f"Invalid date in query: {value}", "invalidArgument")


def _age_ms(value: str) -> int:
    match = re.fullmatch(r"(\d+)([dmy])", value.lower())
    if not match:
        raise bad_request(f"Invalid relative date in query: {value}", "invalidArgument")
    return int(match.group(1)) * _UNITS[match.group(2)] * 1000


def _term(mailbox: Mailbox, token: str, now_ms: int):
    negate = token.startswith("-") and len(token) > 1
    if negate:
        token = token[1:]
    key, sep, value = token.partition(":")
    if not sep or not re.fullmatch(r"[a-z_0-9]+", key.lower()):
        key, value = "", token
    key = key.lower()
    value = value.strip('"').strip("()").strip()
    low = value.lower()

    def header(*names):
        return lambda m: any(low in m.parsed.headers.get(n, "").lower() for n in names)

    if key == "from":
        pred = header("from")
    elif key == "to":
        pred = header("to", "cc", "bcc", "delivered-to")
    elif key in ("cc", "bcc"):
        pred = header(key)
    elif key == "subject":
        pred = header("subject")
    elif key in ("after", "newer"):
        bound = _epoch_ms(value)
        pred = lambda m: m.internal_date >= bound
    elif key in ("before", "older"):
        bound = _epoch_ms(value)
        pred = lambda m: m.internal_date < bound
    elif key == "newer_than":
        bound = now_ms - _age_ms(value)
        pred = lambda m: m.internal_date >= bound
    elif key == "older_than":
        bound = now_ms - _age_ms(value)
        pred = lambda m: m.internal_date < bound
    elif key in ("label", "in"):
        if key == "in" and low == "anywhere":
            pred = lambda m: True
        else:
            label = mailbox.label_by_name(value) or value.upper()
            pred = lambda m: label in m.label_ids
    elif key == "is":
        flag = {"unread": "UNREAD", "starred": "STARRED", "important": "IMPORTANT"}.get(low, low.upper())
        if low == "read":
            pred = lambda m: "UNREAD" not in m.label_ids
        else:
            pred = lambda m: flag in m.label_ids
    elif key == "has":
        pred = lambda m: m.parsed.has_attachment if low == "attachment" else False
    elif key == "rfc822msgid":
        wanted = low.strip("<>")
        pred = lambda m: (m.parsed.message_id or "").lower().strip("<>") == wanted
    elif key == "filename":
        pred = lambda m: low in repr(m.parsed.payload).lower()
    else:
        words = (key + ":" + value if key else value).lower()
        pred = lambda m: (words in m.parsed.headers.get("subject", "").lower()
                          or words in m.parsed.headers.get("from", "").lower()
                          or words in m.parsed.headers.get("to", "").lower()
                          or words in m.parsed.text.lower())
    return (lambda m: not pred(m)) if negate else pred


def compile_query(mailbox: Mailbox, q: str, now_ms: int | None = None):
    """A predicate for ``q`` and whether it names SPAM/TRASH (which then are not excluded)."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    tokens = _TOKEN.findall(q or "")
    preds = []
    i = 0
    while i < len(tokens):
        pred = _term(mailbox, tokens[i], now_ms)
        while i + 2 < len(tokens) and tokens[i + 1] == "OR":
            other = _term(mailbox, tokens[i + 2], now_ms)
            pred = (lambda a, b: lambda m: a(m) or b(m))(pred, other)
            i += 2
        preds.append(pred)
        i += 1
    lowered = (q or "").lower()
    names_spam_trash = any(s in lowered for s in ("in:spam", "in:trash", "label:spam",
                                                  "label:trash", "in:anywhere"))

    def matches(message: StoredMessage) -> bool:
        return all(p(message) for p in preds)

    return matches, names_spam_trash
