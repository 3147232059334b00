"""The ``rich_text`` block Slack attaches to every message a person writes, built from its text.

Slack's mrkdwn tokens become typed elements: ``<@U123>`` a ``user``, ``<#C123|name>`` a ``channel``,
``<https://x|label>`` a ``link``, ``<!here>`` a ``broadcast``; everything else stays ``text``. A block's
``block_id`` is random; Slack is reported to issue a new one on every read, which the sandbox does
too unless ``volatile_block_ids`` is off (``refresh_block_ids``).
"""

from __future__ import annotations

import random
import re

from . import ids

TOKEN = re.compile(r"<([^<>]+)>")


def rich_text(text: str, rng: random.Random) -> list[dict]:
    if not text:
        return []
    return [{"type": "rich_text", "block_id": ids.block_id(rng),
             "elements": [{"type": "rich_text_section", "elements": elements(text)}]}]


def elements(text: str) -> list[dict]:
    out: list[dict] = []
    position = 0
    for found in TOKEN.finditer(text):
        if found.start() > position:
            out.append({"type": "text", "text": text[position:found.start()]})
        out.append(_token(found.group(1)))
        position = found.end()
    if position < len(text):
        out.append({"type": "text", "text": text[position:]})
    return out


def _token(body: str) -> dict:
    target, _, label = body.partition("|")
    if target.startswith("@"):
        return {"type": "user", "user_id": target[1:]}
    if target.startswith("#"):
        return {"type": "channel", "channel_id": target[1:]}
    if target.startswith("!"):
        return {"type": "broadcast", "range": target[1:]}
    link = {"type": "link", "url": target}
    if label:
        link["text"] = label
    return link


def refresh_block_ids(blocks: list, rng: random.Random) -> list:
    """The same blocks with a new ``block_id`` each (a copy; the stored ones are untouched)."""
    fresh = []
    for block in blocks:
        if isinstance(block, dict) and "block_id" in block:
            block = {**block, "block_id": ids.block_id(rng)}
        fresh.append(block)
    return fresh
