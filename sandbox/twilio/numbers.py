"""Phone numbers as Twilio checks them, and the designated numbers whose texts fail.

Twilio answers a malformed ``To`` with 21211 and a malformed ``From`` with 21212; a ``From`` that is
not one of the account's SMS-capable numbers gets 21606. Like Twilio's test credentials, a few
``+1500555xxxx`` numbers have fixed outcomes, so tests can ask for a failure without any setup:

    To   +15005550001  -> 400 21211 (invalid)       From +15005550001 -> 400 21212 (invalid)
    To   +15005550003  -> undelivered, 30003        From +15005550007 -> 400 21606 (not yours)
    To   +15005550005  -> undelivered, 30005
    To   +15005550006  -> undelivered, 30006
    To   +15005550008  -> failed, 30008

``Sandbox.designate(number, status, error_code)`` adds more. Any other well-formed number delivers.
"""

from __future__ import annotations

import re

E164 = re.compile(r"^\+[1-9]\d{7,14}$")
CHANNELS = ("whatsapp:",)  # channel addresses that carry an E.164 number after their prefix

INVALID_TO = frozenset({"+15005550001"})
INVALID_FROM = frozenset({"+15005550001"})
NOT_OWNED_FROM = frozenset({"+15005550007"})
DESIGNATED = {
    "+15005550003": ("undelivered", 30003),
    "+15005550005": ("undelivered", 30005),
    "+15005550006": ("undelivered", 30006),
    "+15005550008": ("failed", 30008),
}
ERROR_MESSAGES = {
    30001: "Queue overflow", 30002: "Account suspended", 30003: "Unreachable destination handset",
    30004: "Message blocked", 30005: "Unknown destination handset", 30006: "Landline or unreachable carrier",
    30007: "Message filtered", 30008: "Unknown error",
}


def is_phone(value: str | None) -> bool:
    """E.164 (``+14155550100``), optionally behind a channel prefix (``whatsapp:+14155550100``)."""
    if not value:
        return False
    for prefix in CHANNELS:
        if value.startswith(prefix):
            value = value[len(prefix):]
    return bool(E164.match(value))


def formatted(number: str | None) -> str | None:
    """Calls' ``from_formatted``/``to_formatted``: ``(415) 555-0100`` in North America, else as is."""
    if number and re.fullmatch(r"\+1\d{10}", number):
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


# GSM 03.38: the basic set costs one septet, the extension table two; anything else means UCS-2
GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")


def segments(body: str | None) -> int:
    """SMS segments of ``body``: GSM-7 fits 160 septets in one, 153 per part when split; UCS-2
    fits 70 characters, 67 per part (counted in UTF-16 code units)."""
    body = body or ""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in body):
        size, single, part = sum(2 if c in GSM_EXTENDED else 1 for c in body), 160, 153
    else:
        size, single, part = len(body.encode("utf-16-le")) // 2, 70, 67
    if size <= single:
        return 1
    return -(-size // part)
