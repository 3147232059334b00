"""Microsoft's procrastinate Blueprint: every Microsoft task, bound under the `microsoft` namespace."""

from __future__ import annotations

import procrastinate

blueprint = procrastinate.Blueprint()
