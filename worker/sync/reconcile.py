"""Completeness proof for any provider: its ids for a capability's scope against what is staged and
what is normalized — counts, missing and extra ids — and, with repair, staging what is missing.

A provider supplies a `Reconciler` (list, read staged, read normalized, repair); the comparison and
the order (compare, repair, compare again, then the product tables) are written once, here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Protocol

SAMPLE = 20  # ids listed per difference; counts are always complete


@dataclass
class Reconciliation:
    """One reconcile outcome, as stored in sync_state.reconcile and printed by the CLI."""

    capability: str
    provider: int = 0
    staged: int = 0
    normalized: int | None = None  # None: the product tables do not exist yet
    missing: list[str] = field(default_factory=list)          # at the provider, not staged
    extra: list[str] = field(default_factory=list)            # staged as live, not at the provider
    not_normalized: list[str] = field(default_factory=list)   # at the provider, not in the product tables
    normalized_extra: list[str] = field(default_factory=list)  # live in the product tables, not at the provider
    repaired: int = 0
    checked_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat())

    @property
    def differences(self) -> int:
        return len(self.missing) + len(self.extra) + len(self.not_normalized) + len(self.normalized_extra)

    def summary(self) -> dict:
        data = asdict(self)
        for key in ("missing", "extra", "not_normalized", "normalized_extra"):
            data[f"{key}_count"] = len(data[key])
            data[key] = sorted(data[key])[:SAMPLE]
        data["differences"] = self.differences
        return data


class Reconciler(Protocol):
    """One live capability of one connection, as reconcile sees it."""

    capability: str
    # True when `normalized_keys` holds only this connection's records, so keys the provider does
    # not list are extras; False when they are shared by the tenant (e.g. meetings by iCalUID)
    normalized_per_connection: bool

    async def provider_ids(self) -> dict[str, str]:
        """external id → its key in the product tables, for every live object in scope."""

    async def staged_ids(self) -> set[str]:
        """External ids of the live staged objects in scope."""

    async def normalized_keys(self) -> set[str] | None:
        """Keys present in the product tables; None when they do not exist yet."""

    async def repair(self, ids: set[str]) -> int:
        """Stage what the provider holds now for each id (a tombstone when gone); new versions."""


async def reconcile(reconciler: Reconciler, do_repair: bool) -> Reconciliation:
    listed = await reconciler.provider_ids()
    staged = await reconciler.staged_ids()
    result = Reconciliation(reconciler.capability, provider=len(listed), staged=len(staged),
                            missing=sorted(set(listed) - staged), extra=sorted(staged - set(listed)))
    if do_repair and (result.missing or result.extra):
        result.repaired = await reconciler.repair(set(result.missing) | set(result.extra))
        staged = await reconciler.staged_ids()
        result.staged = len(staged)
        result.missing, result.extra = sorted(set(listed) - staged), sorted(staged - set(listed))
    normalized = await reconciler.normalized_keys()
    if normalized is not None:
        result.normalized = len(normalized)
        result.not_normalized = sorted(i for i, key in listed.items() if key not in normalized)
        if reconciler.normalized_per_connection:
            result.normalized_extra = sorted(normalized - set(listed.values()))
    return result
