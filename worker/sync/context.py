"""What every capability run gets from its provider: the connection, a database handle, an HTTP client.

The sync core (stager, loops, reconcile) only uses this protocol, so it runs any provider's
capability without knowing how that provider authenticates or paces its requests.
"""

from __future__ import annotations

from typing import Any, AsyncContextManager, Protocol

from worker.store.connections import dict_connection


class ProviderContext(Protocol):
    """Opened per run by the provider (credentials decrypted, token refreshed on demand)."""

    connection: dict[str, Any]  # the integrations.connections row
    pool: Any  # psycopg AsyncConnectionPool
    client: Any  # the provider's HTTP client (pacing, retries, its error classes)

    @property
    def connection_id(self) -> Any: ...

    @property
    def tenant_id(self) -> Any: ...

    def db(self) -> AsyncContextManager[Any]: ...


class ConnectionContext:
    """The provider-independent half of a context: the row, the pool, `db()`. Providers extend it."""

    def __init__(self, connection: dict[str, Any], pool: Any) -> None:
        self.connection = connection
        self.pool = pool

    @property
    def connection_id(self):
        return self.connection["id"]

    @property
    def tenant_id(self):
        return self.connection["tenant_id"]

    @property
    def account(self) -> str:
        return self.connection["account_id"]

    def settings_of(self, capability: str) -> dict:
        """The connection's raw settings of one capability (validated by its model by the caller)."""
        return (self.connection.get("settings") or {}).get(capability) or {}

    def db(self):
        """A pooled connection with dict rows; `async with ctx.db() as conn, conn.transaction(): ...`"""
        return dict_connection(self.pool)

