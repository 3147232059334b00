"""One reconcile outcome, as stored in sync_state.reconcile and printed by the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

SAMPLE = 20  # ids listed per difference; counts are always complete


@dataclass
class Reconciliation:
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
