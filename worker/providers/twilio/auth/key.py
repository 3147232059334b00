"""The API key one connection authenticates with, and what a refusal of it means.

A key does not expire and is never refreshed, so Twilio refusing it (401 / 20003) means it was
revoked or its secret changed. Before the connection is marked `needs_reauth`, the stored key is
read again under the row lock: a reconnect may have stored a new key while this job ran with the
old one — then the new key is used instead, and nothing is marked.
"""

from __future__ import annotations

from typing import Any

from worker.crypto import Keyring
from worker.store import query

REAUTH_REASON = "reconnect: Twilio refused the API key (revoked, or its secret changed; error 20003)"


def key_pair(credentials: dict[str, Any]) -> tuple[str, str]:
    return credentials["api_key"], credentials["api_secret"]


class StoredKey:
    """`KeySource` of a stored connection."""

    def __init__(self, pool, keyring: Keyring, connection_id, credentials: dict[str, Any]) -> None:
        self.pool, self.keyring, self.connection_id = pool, keyring, connection_id
        self.credentials = credentials

    def __repr__(self) -> str:  # never the secret
        return f"StoredKey(connection={self.connection_id}, key={self.credentials.get('api_key')})"

    def auth(self) -> tuple[str, str]:
        return key_pair(self.credentials)

    async def refused(self, used: tuple[str, str]) -> bool:
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(query("connections.credentials_for_update"), {"id": self.connection_id})
            row = await cur.fetchone()
            blob = None if row is None else (row["credentials"] if isinstance(row, dict) else row[0])
            if blob is None:
                return False  # deleted or disconnected meanwhile: nothing to mark, nothing to adopt
            current = self.keyring.decrypt(blob, str(self.connection_id))
            if key_pair(current) != used:
                self.credentials = current
                return True
            await conn.execute(query("connections.set_status"),
                               {"id": self.connection_id, "status": "needs_reauth", "reason": REAUTH_REASON})
            return False


class GivenKey:
    """`KeySource` of a key being checked before it is stored (connect): nothing to adopt or mark."""

    def __init__(self, key_sid: str, secret: str) -> None:
        self._pair = (key_sid, secret)

    def __repr__(self) -> str:
        return f"GivenKey(key={self._pair[0]})"

    def auth(self) -> tuple[str, str]:
        return self._pair

    async def refused(self, used: tuple[str, str]) -> bool:
        return False
