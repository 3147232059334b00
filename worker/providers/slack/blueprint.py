"""Slack's procrastinate Blueprint: every Slack task, bound under the `slack` namespace."""

from __future__ import annotations

import procrastinate

blueprint = procrastinate.Blueprint()

# posts are retried by the queue; exactly-once comes from the outbound row and the metadata lookup
ACTION_RETRY = procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2)
