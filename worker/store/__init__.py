"""The only place that holds SQL for the `integrations` schema (each statement in a .sql file here)."""

from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent


@cache
def query(name: str) -> str:
    """The text of `worker/store/<name>.sql`."""
    return (_HERE / f"{name}.sql").read_text()
