"""List endpoints: date filters and Twilio's page envelope.

Date filters (``DateSent``, ``StartTime``, ``EndTime``) come in three spellings: ``Name=`` (that day,
or that second), ``Name<`` (on or before) and ``Name>`` (on or after); a URL's ``DateSent<=2024-05-01``
is the parameter ``DateSent<`` with the value ``2024-05-01``. Values are ``YYYY-MM-DD`` (compared by
UTC day) or ``YYYY-MM-DDTHH:MM:SSZ`` (compared to the second: what twilio-python sends, even for a
date). A resource without that date (a queued text) matches no date filter.

A page, newest first:

    {"first_page_uri", "next_page_uri" (null at the end), "previous_page_uri" (null on page 0),
     "page", "page_size", "start", "end", "uri", "<list key>": [...]}

``PageToken`` carries the sort key of the last resource served (``PA...``, forward) or the first
(``PB...``, backward), so a page follows the one before it even if resources arrived or left in
between; without a token ``Page`` counts pages from the newest.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, timezone
from urllib.parse import urlencode

from .errors import TwilioError, invalid

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
PAGING = ("Page", "PageSize", "PageToken")


def parse_bound(name: str, raw: str) -> tuple[datetime, bool]:
    """``(moment, has_time)`` of a date filter value; 400 when it is neither format."""
    text = raw.strip()
    for fmt, has_time in (("%Y-%m-%d", False), ("%Y-%m-%dT%H:%M:%SZ", True), ("%Y-%m-%dT%H:%M:%S", True),
                          ("%Y-%m-%d %H:%M:%S", True)):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=timezone.utc), has_time
        except ValueError:
            continue
    raise invalid(20001, f"Invalid {name}: {raw!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")


def date_filter(req, name: str):
    """A predicate over ``datetime | None`` for the ``name``, ``name<`` and ``name>`` parameters."""
    checks = []
    for suffix, op in (("", "eq"), ("<", "le"), (">", "ge")):
        raw = req.param(name + suffix)
        if raw:
            bound, has_time = parse_bound(name + suffix, raw)
            checks.append((op, bound if has_time else bound.date(), has_time))
    if not checks:
        return None

    def matches(value: datetime | None) -> bool:
        if value is None:
            return False
        for op, bound, has_time in checks:
            seen = value if has_time else value.date()
            if (op == "eq" and seen != bound) or (op == "le" and seen > bound) or (op == "ge" and seen < bound):
                return False
        return True

    return matches


def page_size(req) -> int:
    raw = req.param("PageSize")
    if raw in (None, ""):
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        raise invalid(20001, f"Invalid PageSize: {raw!r}") from None
    if size > MAX_PAGE_SIZE:
        raise TwilioError(400, 20007, "Page size too large")
    if size < 1:
        raise invalid(20001, f"Invalid PageSize: {raw!r}")
    return size


def _token(direction: str, key: tuple) -> str:
    return direction + base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def _untoken(token: str) -> tuple[str, tuple]:
    try:
        raw = token[2:] + "=" * (-len(token[2:]) % 4)
        key = tuple(json.loads(base64.urlsafe_b64decode(raw)))
        if token[:2] not in ("PA", "PB") or len(key) != 3:
            raise ValueError(token)
        return token[:2], key
    except (ValueError, binascii.Error):
        raise invalid(20001, f"Invalid PageToken: {token!r}") from None


def page(req, records: list, key: str, render) -> dict:
    """The page of ``records`` (already filtered, newest first) that ``req`` asks for."""
    size = page_size(req)
    raw_page = req.param("Page")
    try:
        number = int(raw_page) if raw_page not in (None, "") else 0
    except ValueError:
        raise invalid(20001, f"Invalid Page: {raw_page!r}") from None
    if number < 0:
        raise invalid(20001, f"Invalid Page: {raw_page!r}")
    token = req.param("PageToken")
    if token:
        direction, last = _untoken(token)
        if direction == "PA":
            chunk = [r for r in records if r.sort_key() < last][:size]
        else:
            before = [r for r in records if r.sort_key() > last]
            chunk = before[-size:]
    else:
        chunk = records[number * size:(number + 1) * size]
    remaining = bool(chunk) and records[-1].sort_key() < chunk[-1].sort_key()  # older ones are left
    filters = [(k, v) for k, values in req.query.items() if k not in PAGING for v in values]

    def uri(page_number: int, page_token: str | None = None) -> str:
        params = filters + [("PageSize", size), ("Page", page_number)]
        if page_token:
            params.append(("PageToken", page_token))
        return f"{req.path}?{urlencode(params)}"

    start = number * size
    current_token = token if token else None
    return {
        "first_page_uri": uri(0),
        "end": start + len(chunk) - 1 if chunk else start,
        "previous_page_uri": uri(number - 1, _token("PB", chunk[0].sort_key())) if number > 0 and chunk else None,
        key: [render(r) for r in chunk],
        "uri": uri(number, current_token),
        "page_size": size,
        "start": start,
        "next_page_uri": uri(number + 1, _token("PA", chunk[-1].sort_key())) if remaining else None,
        "page": number,
    }
