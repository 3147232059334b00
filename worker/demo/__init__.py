"""`integrations demo`: the whole lifecycle on the embedded database and an in-process sandbox.

- `world`: the sandbox and its generated demo tenant (two users, shared mail and meetings) and the
  lifecycle changes made to it;
- `report`: read-only queries on the product tables and `integrations.sync_state` and how they print;
- `run`: the steps, in order, each announced with `==> ...`.
"""

from worker.demo.run import DemoFailed, DemoOptions, run_demo

__all__ = ["DemoFailed", "DemoOptions", "run_demo"]
