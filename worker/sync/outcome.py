"""The outcome recorder: every run of a capability ends recorded on its own sync_state row.

Capabilities are isolated: a failure is recorded against (connection, capability, stream) only,
backs off (interval × 2^failures, at most an hour) and keeps retrying; a revoked grant stops the
live schedule until the account is reconnected.

Every exception of a run is recorded, whatever its type (invariant 3): a provider's own errors
with the message the operator acts on, anything else (a database error, a KeyError on a field the
provider left out, a validation error) with its type name, so `status` never shows a healthy
capability whose runs keep failing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Iterable

from worker.errors import IntegrationsError
from worker.observe.context import bind, current
from worker.observe.metrics import count_run
from worker.settings import get_settings
from worker.store.staging import StaleWriter
from worker.store.sync_state import ensure_row, record_failure, record_success, stream_key
from worker.sync.errors import ProviderError, Reauth

logger = logging.getLogger(__name__)


def describe_failure(error: BaseException) -> str:
    """What went wrong and what to do next, for `status` and `connections show`."""
    if isinstance(error, Reauth):
        return error.operator_message()
    if isinstance(error, ProviderError):
        return error.describe()
    if isinstance(error, IntegrationsError):
        return str(error) or type(error).__name__
    # an error the sync code does not expect: its type says where to look
    name = f"{type(error).__module__}.{type(error).__qualname__}".removeprefix("builtins.")
    text = str(error).strip()
    return f"{name}: {text}" if text else name


async def run_capability(pool, connection_id, capability: str, body: Callable[[], Awaitable[dict]],
                         stream: str = "") -> dict:
    """Run `body` and record its outcome on the (connection, capability, stream) row."""
    with bind(connection_id=connection_id, capability=capability):
        return await _run_capability(pool, connection_id, capability, body, stream)


async def _run_capability(pool, connection_id, capability: str, body: Callable[[], Awaitable[dict]],
                          stream: str) -> dict:
    key = stream_key(connection_id, capability, stream)
    interval = get_settings().sync_interval_seconds
    provider = current().get("provider")  # the job's (worker/observe/context.py): a metrics label
    async with pool.connection() as conn:
        await ensure_row(conn, key)
    try:
        result = await body()
    except Reauth as error:
        await _record(pool, key, "needs_reauth", describe_failure(error), interval)
        logger.warning("connection %s needs reauth: %s", connection_id, error.operator_message())
        count_run(provider, capability, "needs_reauth", error)
        return {"status": "needs_reauth"}
    except StaleWriter as error:
        # not a failure: a newer run of this stream already moved on and holds this page's data;
        # recording it would back off (delay) the very stream that is healthy
        logger.info("superseded run of %s on connection %s: %s", capability, connection_id, error)
        count_run(provider, capability, "superseded")
        return {"status": "superseded"}
    except Exception as error:  # every type: nothing fails silently (invariant 3)
        count_run(provider, capability, "failing", error)
        try:
            await _record(pool, key, "failing", describe_failure(error), interval)
        except Exception:  # the database itself is gone: the job still fails with the cause
            logger.exception("could not record the failure of %s on connection %s", capability, connection_id)
        raise
    async with pool.connection() as conn:
        await record_success(conn, key, interval)
    count_run(provider, capability, "ok")
    return result


async def run_streams(ctx, capability: str, streams: Iterable[str],
                      run: Callable[[str], Awaitable[dict]], concurrently: bool = False) -> dict[str, dict]:
    """Run each stream of a capability (e.g. one per calendar), recording each on its own row: one
    failing stream is recorded and the others go on; a revoked grant stops them all. Raises once
    all ran when any failed, so the capability's own row shows the failure too. `concurrently`:
    side by side instead of in turn (streams that share one provider budget, which paces them)."""
    interval = get_settings().sync_interval_seconds
    results, failures = {}, {}

    async def one(stream: str) -> None:
        key = stream_key(ctx.connection_id, capability, stream)
        try:
            results[stream] = await run(stream)
        except (Reauth, StaleWriter):
            raise
        except Exception as error:  # every type is recorded on the stream's row (invariant 3)
            logger.warning("%s %s of %s failed: %s", capability, stream, ctx.connection_id, error)
            failures[stream] = error
            async with ctx.db() as conn:
                await record_failure(conn, key, "failing", describe_failure(error), interval)
            return
        async with ctx.db() as conn:
            await record_success(conn, key, interval)

    streams = list(streams)
    if concurrently:
        outcomes = await asyncio.gather(*(one(s) for s in streams), return_exceptions=True)
        for outcome in outcomes:  # a revoked grant or a superseded run ends the capability's run
            if isinstance(outcome, BaseException):
                raise outcome
    else:
        for stream in streams:
            await one(stream)
    if failures:
        ordered = [s for s in streams if s in failures]
        detail = "; ".join(f"{s}: {describe_failure(failures[s])}" for s in ordered)
        raise IntegrationsError(f"{len(failures)} of {len(failures) + len(results)} streams of {capability}"
                                f" failed: {detail}")
    return results


async def _record(pool, key: dict, status: str, error: str, interval: int) -> None:
    async with pool.connection() as conn:
        await record_failure(conn, key, status, error, interval)
