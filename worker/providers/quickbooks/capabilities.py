"""QuickBooks' capability names, its one scope, the entities it reads and their settings models."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from worker.capabilities import CapabilitySettings

SCOPE = "com.intuit.quickbooks.accounting"
SYNC_ACCOUNTING_LIVE = "sync_accounting_live"
SYNC_ACCOUNTING_ONCE = "sync_accounting_once"
ENTITIES = ("Customer", "Invoice", "Payment")


def entity_names(values: list[str]) -> list[str]:
    """`customer`, `Invoice`… → QBO's names, in QBO's order, each once; ValueError for others."""
    known = {name.lower(): name for name in ENTITIES}
    chosen = set()
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if not part:
                continue
            if part.lower() not in known:
                raise ValueError(f"unknown entity {part!r}; use {', '.join(ENTITIES)}")
            chosen.add(known[part.lower()])
    return [name for name in ENTITIES if name in chosen]


class AccountingLiveSettings(CapabilitySettings):
    """Which entities the live sync follows, and how far back each CDC call reaches before the last
    answer's time (clock skew between QBO's servers; what is read twice is stored once)."""

    entities: list[str] = Field(default_factory=lambda: list(ENTITIES), min_length=1)
    overlap_seconds: int = Field(default=120, ge=0, le=86_400)

    @field_validator("entities")
    @classmethod
    def _entities(cls, value: list[str]) -> list[str]:
        return entity_names(value)


class AccountingOnceParams(BaseModel):
    """`sync once --param entities=Invoice --param since=2026-01-01 --param until=... --param max=N`."""

    model_config = ConfigDict(extra="forbid")

    entities: list[str] = Field(default_factory=lambda: list(ENTITIES))
    since: datetime | None = Field(default=None, description="changed at or after this instant (ISO 8601)")
    until: datetime | None = Field(default=None, description="changed before this instant (ISO 8601)")
    max: int | None = Field(default=None, ge=1, description="at most this many entities")

    @field_validator("entities")
    @classmethod
    def _entities(cls, value: list[str]) -> list[str]:
        names = entity_names(value)
        if not names:
            raise ValueError(f"name at least one of {', '.join(ENTITIES)}")
        return names

    @field_validator("since", "until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    @model_validator(mode="after")
    def _window(self):
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be before until")
        return self
