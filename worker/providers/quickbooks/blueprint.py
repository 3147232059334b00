"""QuickBooks' procrastinate Blueprint: every QuickBooks task, bound under the `quickbooks` namespace."""

from __future__ import annotations

import procrastinate

blueprint = procrastinate.Blueprint()
