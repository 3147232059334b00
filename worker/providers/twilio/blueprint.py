"""Twilio's procrastinate Blueprint: every Twilio task, bound under the `twilio` namespace."""

from __future__ import annotations

import procrastinate

blueprint = procrastinate.Blueprint()

# actions are retried by the queue; exactly-once comes from the outbound row and the lookup of
# what an earlier attempt sent, not from the queue
ACTION_RETRY = procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2)
