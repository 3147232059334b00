"""The OData pieces Graph's mail and calendar calls share: ``Prefer`` headers, ``$select``,
``$filter`` (the comparisons Outlook supports), ``$top``/``$skip`` paging, and the ``Call`` every
handler receives.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ..core.wire import Request
from .errors import bad_request

DEFAULT_PAGE = 10
MAX_TOP = 1000


@dataclass
class Call:
    """One authenticated Graph call: who (`email`, `scopes`), the request, and what it prefers."""

    req: Request
    email: str
    scopes: frozenset[str]
    base: str  # https origin; links are built on it
    world: object
    applied: list[str] = field(default_factory=list)  # Preference-Applied values
    status: int = 200

    def __post_init__(self) -> None:
        self.prefer = parse_prefer(self.req.headers.get("prefer"))

    @property
    def immutable(self) -> bool:
        wanted = self.prefer.get("idtype") == "ImmutableId"
        if wanted and 'IdType="ImmutableId"' not in self.applied:
            self.applied.append('IdType="ImmutableId"')
        return wanted

    def page_size(self, default: int = DEFAULT_PAGE) -> int:
        raw = self.prefer.get("odata.maxpagesize")
        if raw is None:
            return default
        try:
            size = int(raw)
        except ValueError:
            raise bad_request(f"Invalid odata.maxpagesize '{raw}'.") from None
        self.applied.append(f"odata.maxpagesize={size}")
        return max(1, min(size, MAX_TOP))

    def json(self) -> dict:
        return self.req.json()


def parse_prefer(header: str | None) -> dict[str, str]:
    """``Prefer: odata.maxpagesize=5, IdType="ImmutableId"`` -> ``{"odata.maxpagesize": "5", "idtype":
    "ImmutableId"}`` (names lower case, values unquoted; several headers arrive comma-joined)."""
    found: dict[str, str] = {}
    for part in re.findall(r'([^,=\s]+)\s*(?:=\s*("[^"]*"|[^,]*))?', header or ""):
        name, value = part
        found[name.strip().lower()] = value.strip().strip('"')
    return found


def selected(req: Request) -> set[str] | None:
    raw = req.param("$select")
    if not raw:
        return None
    return {s.strip() for s in raw.split(",") if s.strip()}


def apply_select(resource: dict, fields: set[str] | None) -> dict:
    """Only the selected properties (plus ``id`` and OData annotations)."""
    if fields is None:
        return resource
    return {k: v for k, v in resource.items() if k in fields or k == "id" or k.startswith("@odata")}


def top(req: Request, default: int = DEFAULT_PAGE) -> int:
    raw = req.param("$top")
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise bad_request(f"Invalid $top value '{raw}'.", "BadRequest")
    return min(int(raw), MAX_TOP)


def skip(req: Request) -> int:
    raw = req.param("$skip") or "0"
    if not raw.isdigit():
        raise bad_request(f"Invalid $skip value '{raw}'.", "BadRequest")
    return int(raw)


def next_link(base: str, req: Request, new_skip: int) -> str:
    query = {k: v[-1] for k, v in req.query.items() if k != "$skip"}
    query["$skip"] = str(new_skip)
    return f"{base}/v1.0{req.path}?{urlencode(query)}"


# -- $filter ------------------------------------------------------------------------------------
_CLAUSE = re.compile(r"^\s*([A-Za-z/]+)\s+(eq|ne|ge|gt|le|lt)\s+('(?:[^']|'')*'|[0-9T:.\-+Z]+|true|false)\s*$")


def parse_filter(raw: str | None) -> list[tuple[str, str, object]]:
    """``receivedDateTime ge 2024-01-01T00:00:00Z and internetMessageId eq '<a@b>'`` -> clauses.
    Only ``and`` of simple comparisons, as Outlook's message filters allow."""
    if not raw:
        return []
    clauses = []
    for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE):
        found = _CLAUSE.match(part)
        if not found:
            raise bad_request(f"Invalid filter clause: {part!r}.", "BadRequest")
        name, op, literal = found.groups()
        if literal.startswith("'"):
            value: object = literal[1:-1].replace("''", "'")
        elif literal in ("true", "false"):
            value = literal == "true"
        else:
            value = parse_time(literal)
        clauses.append((name, op, value))
    return clauses


def parse_time(value: str) -> datetime.datetime:
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # Graph writes 7 fractional digits; Python reads at most 6
        head, _, tail = text.partition(".")
        digits = re.match(r"\d*", tail).group(0)
        text = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"Invalid date/time value '{value}'.", "BadRequest") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _field(resource: dict, name: str):
    value = resource
    for piece in name.split("/"):
        value = value.get(piece) if isinstance(value, dict) else None
    return value


def matches(resource: dict, clauses) -> bool:
    for name, op, wanted in clauses:
        value = _field(resource, name)
        if isinstance(wanted, datetime.datetime):
            if value is None:
                return False
            value = parse_time(value)
        elif isinstance(wanted, str) and isinstance(value, str):
            value, wanted = value.lower(), wanted.lower()
        try:
            ok = {"eq": value == wanted, "ne": value != wanted}.get(op)
            if ok is None:
                ok = {"ge": value >= wanted, "gt": value > wanted, "le": value <= wanted, "lt": value < wanted}[op]
        except TypeError:
            ok = False
        if not ok:
            return False
    return True
