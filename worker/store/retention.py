"""Retention of superseded raw versions (`INTEGRATIONS_RAW_RETENTION_DAYS`).

raw_records keeps every version of every object so normalization can always be re-run; versions
that nothing reads any more (not an object's newest, not its newest with content) only cost
space. With the setting unset everything is kept; otherwise a periodic task deletes superseded
versions older than that many days, each (connection, resource type) under its staging lock so a
concurrent stager never sees its head moved.
"""

from __future__ import annotations

import logging

from worker.store import query

logger = logging.getLogger(__name__)


def prune_superseded_versions(conn, days: int) -> int:
    """Delete superseded raw versions ingested more than `days` days ago; returns how many.
    One transaction per (connection, resource type)."""
    if days < 0:
        raise ValueError(f"retention must be 0 days or more, got {days}")
    pairs = conn.execute(query("retention.resources")).fetchall()
    conn.commit()
    removed = 0
    for pair in pairs:
        key = {"connection_id": pair["connection_id"], "resource_type": pair["resource_type"]}
        with conn.transaction():
            conn.execute(query("stage_records.lock"), key)
            removed += conn.execute(query("retention.prune"), {**key, "days": days}).rowcount
    if removed:
        logger.info("pruned %d superseded raw versions older than %d days", removed, days)
    return removed
