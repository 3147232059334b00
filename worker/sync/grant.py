"""Compare-and-swap of a connection's stored grant, for every provider whose tokens we refresh.

The credentials were read when the job started; a person may reconnect while it runs, and another
job of the same connection may refresh at the same moment. So what a refresh learns (an access
token, and with rotating refresh tokens a new refresh token) is written only while the stored grant
is still the one that was refreshed — checked under the row lock, in the transaction that writes —
and otherwise the stored, newer grant is adopted. A refused grant marks the connection
`needs_reauth` only when the stored grant is still the refused one.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from worker.crypto import Keyring
from worker.store import query


class DeadGrant(Exception):
    """The provider refused the refresh token for good; `reason` is what the operator reads."""

    def __init__(self, reason: str, code: str = "invalid_grant") -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


class StoredGrant:
    def __init__(self, pool, keyring: Keyring, connection_id) -> None:
        self.pool, self.keyring, self.connection_id = pool, keyring, connection_id

    async def _locked(self, conn) -> dict[str, Any] | None:
        cur = await conn.execute(query("connections.credentials_for_update"), {"id": self.connection_id})
        row = await cur.fetchone()
        blob = None if row is None else (row["credentials"] if isinstance(row, dict) else row[0])
        return None if blob is None else self.keyring.decrypt(blob, str(self.connection_id))

    async def write_if_current(self, used_refresh_token: str | None, refreshed: dict[str, Any]) -> dict[str, Any] | None:
        """Store `refreshed` (merged over what is stored) if the stored refresh token is still the
        one used. Returns None when written, else what is stored now (adopt it; `{}` when the
        connection was deleted or disconnected meanwhile)."""
        async with self.pool.connection() as conn, conn.transaction():
            current = await self._locked(conn)
            if current is None:
                return {}
            if current.get("refresh_token") != used_refresh_token:
                return current
            blob = self.keyring.encrypt({**current, **refreshed}, str(self.connection_id))
            await conn.execute(query("connections.set_refreshed_credentials"), {
                "id": self.connection_id, "credentials": blob, "key_id": self.keyring.current.key_id})
            return None

    async def rotate(self, held_refresh_token: str | None,
                     refresh: Callable[[str], Awaitable[dict[str, Any]]]) -> tuple[bool, dict[str, Any]]:
        """For refresh tokens that rotate on every use (QuickBooks): one refresh at a time per
        connection, and what it learns stored in the transaction that learned it.

        Under the row lock: if the stored refresh token is no longer `held_refresh_token`, another
        job (or a reconnect) refreshed meanwhile — adopt its grant without spending ours; else
        `refresh(stored refresh token)` is called while the lock is held and its answer (the fields
        to merge) is written before the transaction commits. `refresh` raises to write nothing; a
        `DeadGrant` it raises marks the connection `needs_reauth` in the same transaction.
        Returns (refreshed here, the stored grant now); `{}` when the connection is gone."""
        async with self.pool.connection() as conn:
            dead: DeadGrant | None = None
            async with conn.transaction():
                current = await self._locked(conn)
                if current is None:
                    return False, {}
                if current.get("refresh_token") != held_refresh_token:
                    return False, current
                try:
                    learned = await refresh(current["refresh_token"])
                except DeadGrant as error:
                    dead = error
                    await conn.execute(query("connections.set_status"), {
                        "id": self.connection_id, "status": "needs_reauth", "reason": error.reason})
                else:
                    merged = {**current, **learned}
                    blob = self.keyring.encrypt(merged, str(self.connection_id))
                    await conn.execute(query("connections.set_refreshed_credentials"), {
                        "id": self.connection_id, "credentials": blob, "key_id": self.keyring.current.key_id})
                    return True, merged
            raise dead

    async def newer_or_mark_reauth(self, failed_refresh_token: str | None, reason: str,
                                   field: str = "refresh_token") -> dict[str, Any] | None:
        """After the provider refused `failed_refresh_token`: the newer stored grant if a reconnect
        (or another refresh) stored one, else None with the connection marked `needs_reauth`.
        `field`: which stored credential was refused (`token` for a provider whose one long-lived
        token is the grant)."""
        async with self.pool.connection() as conn, conn.transaction():
            current = await self._locked(conn)
            if current is not None and current.get(field) not in (None, failed_refresh_token):
                return current
            if current is not None:
                await conn.execute(query("connections.set_status"),
                                   {"id": self.connection_id, "status": "needs_reauth", "reason": reason})
            return None
