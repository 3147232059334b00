"""The provider-neutral failures the sync core acts on; every provider's errors subclass these.

The core never names a provider: it retries `Transient`, stops a connection on `Reauth`, resyncs
in full on `CursorExpired`, tombstones or gives up on `NotFound`, records `ItemFailure` against
one item while its page goes on, and fails a run on `BadInput` without retrying it sooner.
"""

from __future__ import annotations


class ProviderError(Exception):
    """A provider refused or failed a request; `describe()` is what `status` shows."""

    def describe(self) -> str:
        return str(self) or type(self).__name__


class Transient(ProviderError):
    """5xx, resets, timeouts, rate limits: the same request later may well succeed."""


class Reauth(ProviderError):
    """The grant is revoked or expired: only a person reconnecting the account helps."""

    def operator_message(self) -> str:
        """What the operator reads: the provider's message when it gave one."""
        return str(getattr(self, "message", "") or self)


class CursorExpired(ProviderError):
    """The incremental cursor (history id, sync token, delta link) is dead: sync in full."""


class NotFound(ProviderError):
    """The object (or the listing it came from) no longer exists at the provider."""


class ItemFailure(ProviderError):
    """One item failed on its own; the rest of its page and the cursor go on (invariant 2)."""


class BadInput(ProviderError):
    """The provider refused the request as invalid: retrying it unchanged cannot help."""
