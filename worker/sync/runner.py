"""Runs one capability for one connection and records the outcome in its own sync_state row.

Capabilities are isolated: a failure is recorded against (connection, capability) only, backs off
(interval × 2^failures, at most an hour) and keeps retrying; a revoked grant stops the live
schedule until the account is reconnected.

Every exception of a run is recorded, whatever its type (invariant 3): the provider's own errors
with the message the operator acts on, anything else (a database error, a KeyError on a field the
provider left out, a validation error) with its type name, so `status` never shows a healthy
capability whose runs keep failing.
"""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from worker.errors import IntegrationsError
from worker.providers.google.errors import GoogleError, Reauth
from worker.settings import get_settings
from worker.store import query
from worker.store.staging import StaleWriter

logger = logging.getLogger(__name__)

MAX_ERROR_CHARS = 2000


def describe_failure(error: BaseException) -> str:
    """What went wrong and what to do next, for `status` and `connections show`."""
    if isinstance(error, Reauth):
        return str(error.message)
    if isinstance(error, GoogleError):
        text = str(error) or type(error).__name__
        if error.reason == "insufficientPermissions":
            return f"{text} — reconnect with this capability to grant its scope"
        return text
    if isinstance(error, IntegrationsError):
        return str(error) or type(error).__name__
    # an error the sync code does not expect: its type says where to look
    name = f"{type(error).__module__}.{type(error).__qualname__}".removeprefix("builtins.")
    text = str(error).strip()
    return f"{name}: {text}" if text else name


async def run_capability(pool, connection_id, capability: str, body: Callable[[], Awaitable[dict]],
                         stream: str = "") -> dict:
    key = {"connection_id": connection_id, "capability": capability, "stream": stream}
    interval = get_settings().sync_interval_seconds
    async with pool.connection() as conn:
        await conn.execute(query("sync_state.lock"), key)
    try:
        result = await body()
    except Reauth as error:
        await _record_failure(pool, key, "needs_reauth", describe_failure(error), interval)
        logger.warning("connection %s needs reauth: %s", connection_id, error.message)
        return {"status": "needs_reauth"}
    except StaleWriter as error:
        # not a failure: a newer run of this stream already moved on and holds this page's data;
        # recording it would back off (delay) the very stream that is healthy
        logger.info("superseded run of %s on connection %s: %s", capability, connection_id, error)
        return {"status": "superseded"}
    except Exception as error:  # every type: nothing fails silently (invariant 3)
        try:
            await _record_failure(pool, key, "failing", describe_failure(error), interval)
        except Exception:  # the database itself is gone: the job still fails with the cause
            logger.exception("could not record the failure of %s on connection %s", capability, connection_id)
        raise
    async with pool.connection() as conn:
        await conn.execute(query("sync_state.succeed"), {**key, "interval": interval})
    return result


async def _record_failure(pool, key: dict, status: str, error: str, interval: int) -> None:
    async with pool.connection() as conn:
        await conn.execute(query("sync_state.fail"), {**key, "status": status, "error": error[:MAX_ERROR_CHARS],
                                                      "interval": interval})
