"""The only place that holds SQL for the `integrations` schema, in .sql files beside this module.

A file holds one statement, or several each introduced by a `-- name: <name>` line.
"""

import re
from functools import cache
from pathlib import Path

_HERE = Path(__file__).parent
_NAME = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@cache
def query(name: str) -> str:
    """`query("stage_records")` is the file; `query("connections.insert")` one named statement."""
    file, _, statement = name.partition(".")
    text = (_HERE / f"{file}.sql").read_text()
    if not statement:
        return text
    pieces = _NAME.split(text)
    named = {pieces[i]: pieces[i + 1].strip() for i in range(1, len(pieces), 2)}
    return named[statement]
