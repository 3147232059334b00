"""Gmail's two published quota tables; which one binds depends on when the Cloud project was made.

Projects created before May 2026 get 15,000 units per user per minute and pay 5 units for
`messages.get` and `attachments.get`; projects created from May 2026 get 6,000 units and pay 20
for those two. Pacing and per-call costs must come from the same table, or a sync either wastes
most of the quota or runs into 429s. New installs default to the 2026 table
(`INTEGRATIONS_GMAIL_QUOTA_TABLE=legacy` for an older project).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class QuotaTable:
    name: str
    units_per_user_minute: int
    units: Mapping[str, int]  # method -> units per call


_LEGACY_UNITS = {"getProfile": 1, "messages.list": 5, "messages.get": 5, "history.list": 2,
                 "messages.send": 100, "drafts.create": 10, "drafts.send": 100, "labels.list": 1,
                 "attachments.get": 5}

LEGACY = QuotaTable("legacy", 15_000, MappingProxyType(_LEGACY_UNITS))
MAY_2026 = QuotaTable("2026", 6_000, MappingProxyType({**_LEGACY_UNITS, "messages.get": 20,
                                                       "attachments.get": 20}))
TABLES = {table.name: table for table in (MAY_2026, LEGACY)}
DEFAULT_TABLE = MAY_2026.name


def table_in_force(settings) -> QuotaTable:
    """The Gmail quota table the settings name (per-call units and the per-user limit)."""
    return TABLES[settings.gmail_quota_table]


def gmail_units_per_minute(settings) -> int:
    """Per-user Gmail pacing: the explicit setting, else the quota table's limit."""
    if settings.gmail_quota_units_per_minute is not None:
        return settings.gmail_quota_units_per_minute
    return table_in_force(settings).units_per_user_minute
