"""Microsoft's procrastinate Blueprint: every Microsoft task, bound under the `microsoft` namespace."""

from __future__ import annotations

import procrastinate

blueprint = procrastinate.Blueprint()

# actions are retried by the queue; exactly-once comes from the outbound row, not from the queue
ACTION_RETRY = procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2)
