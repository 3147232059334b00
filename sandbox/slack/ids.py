"""Slack's identifiers and cursors: how ids, message timestamps and paging cursors look on the wire.

- object ids: a type letter and ten upper-case letters or digits (``T`` team, ``C`` channel, ``U`` user,
  ``B`` bot, ``A`` app), drawn from the world's seeded ``random.Random`` so a reset replays them;
- ``ts``: ``"1700000000.000100"``, seconds and microseconds; unique and increasing per channel. Kept as
  integer microseconds inside the sandbox (``to_micros``/``to_ts``) so ordering never meets a float;
- cursors: base64 of ``"<kind>:<position>"`` as Slack's own look (``dXNlcjpVMDYxTkZUVDI=`` is
  ``user:U061NFTT2``); a cursor the sandbox did not mint answers ``invalid_cursor``.
"""

from __future__ import annotations

import base64
import binascii
import random
import string

ALPHABET = string.ascii_uppercase + string.digits
BLOCK_ID_ALPHABET = string.ascii_letters + string.digits


def new_id(rng: random.Random, letter: str, length: int = 10) -> str:
    return letter + "0" + "".join(rng.choice(ALPHABET) for _ in range(length - 1))


def block_id(rng: random.Random) -> str:
    return "".join(rng.choice(BLOCK_ID_ALPHABET) for _ in range(5))


def to_micros(ts) -> int:
    """``"1700000000.000100"`` (or ``"1700000000"``, or a number) -> 1700000000000100; ValueError if not a ts."""
    if isinstance(ts, (int, float)):
        return int(round(float(ts) * 1_000_000))
    text = str(ts).strip()
    seconds, _, fraction = text.partition(".")
    if not seconds.isdigit() or (fraction and not fraction.isdigit()) or len(fraction) > 6:
        raise ValueError(f"not a Slack timestamp: {ts!r}")
    return int(seconds) * 1_000_000 + int((fraction or "0").ljust(6, "0"))


def to_ts(micros: int) -> str:
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def encode_cursor(kind: str, position: str) -> str:
    return base64.b64encode(f"{kind}:{position}".encode()).decode("ascii")


def decode_cursor(cursor: str, kind: str) -> str:
    """The position a cursor of ``kind`` carries; ValueError when it is not one the sandbox minted."""
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raise ValueError(f"invalid cursor {cursor!r}") from None
    found_kind, sep, position = text.partition(":")
    if found_kind != kind or not sep or not position:
        raise ValueError(f"invalid cursor {cursor!r}")
    return position
