"""Label values safe to export: never a tenant, an account, an address or an id.

A label value becomes a time series of its own, kept by every Prometheus that scrapes us: a value
taken from data (an address, a connection id, a phone number) would leak personal data to the
monitoring stack and grow without bound. Labels are built from names the code owns (providers,
capabilities, statuses, error classes); this filter is the guard behind that rule, applied to
every label value exported, so a value that looks like data is exported as `redacted` instead.
"""

from __future__ import annotations

import re

REDACTED = "redacted"
MAX_LENGTH = 64
_ALLOWED = re.compile(r"^[A-Za-z0-9_.:+\-]*$")
# what data looks like: a UUID, a run of digits (phone numbers, account and realm ids), a long hex run
# (Twilio SIDs, hashes)
_DATA = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
                   r"|\d{6,}|[0-9a-fA-F]{16,}")


def safe(value: object) -> str:
    """`value` as a label value, or `redacted` when it could be personal data or unbounded."""
    text = "" if value is None else str(value)
    if len(text) > MAX_LENGTH or "@" in text or not _ALLOWED.match(text) or _DATA.search(text):
        return REDACTED
    return text
