"""QBO's query language, the subset the Accounting API accepts for one entity:

    SELECT * | COUNT(*) FROM Customer|Invoice|Payment
      [WHERE cond [AND cond]...]           cond: field (= | != | < | <= | > | >=) value
                                                 | field IN (value, ...) | field LIKE '%text%'
      [ORDERBY field [ASC|DESC][, field [ASC|DESC]]...]
      [STARTPOSITION n] [MAXRESULTS m]

Keywords and field names are case-insensitive; ``field`` is a property path (``Id``, ``Active``,
``DisplayName``, ``MetaData.LastUpdatedTime``, ``TxnDate``, ``CustomerRef`` -- a reference compares
its ``value``); values are quoted strings (``\\'`` escapes a quote), numbers, ``true``/``false``.
Times compare as instants (an offset or ``Z`` honoured, none = the company's zone). No OR, no
projection, no JOIN: a parse error answers 400 ValidationFault 4000.

Answers, as QBO's: ``STARTPOSITION`` counts from 1; ``MAXRESULTS`` defaults to 100 and is capped at
1000 (larger asks get 1000, silently); without ORDERBY entities come by Id. Customers: only active
ones unless the WHERE names ``Active`` (``Active = false``, ``Active IN (true, false)``). The answer
is ``{"<Entity>": [...], "startPosition", "maxResults"}`` (``maxResults`` = how many came; an empty
page is ``{}``), or ``{"totalCount": n}`` for COUNT(*).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from . import clock
from .errors import invalid_query, parse_error

DEFAULT_MAX = 100
CAP = 1000
TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:\\.|''|[^'\\])*')
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<number>-?\d+(?:\.\d+)?(?![\w.]))
  | (?P<word>[A-Za-z_][\w.]*)
)""", re.X)
ENTITIES = {"customer": "Customer", "invoice": "Invoice", "payment": "Payment"}


@dataclass
class Condition:
    path: list[str]
    op: str
    values: list


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[list[str], bool]] = field(default_factory=list)  # (path, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX

    def names(self, prop: str) -> bool:
        return any(c.path[0].lower() == prop.lower() for c in self.where)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos, text = [], 0, text.strip().rstrip(";")
    while pos < len(text):
        found = TOKEN.match(text, pos)
        if not found or found.end() == pos:
            raise parse_error(f"Encountered \"{text[pos:pos + 20]}\" at line 1, column {pos + 1}.")
        kind = found.lastgroup
        tokens.append((kind, found.group(kind)))
        pos = found.end()
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise parse_error("Encountered \"<EOF>\" at the end of the query.")
        self.i += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token[0] == "word" and token[1].upper() == word:
            self.i += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.keyword(word):
            token = self.peek()
            raise parse_error(f"Encountered \"{token[1] if token else '<EOF>'}\"; was expecting {word}.")

    def expect_punct(self, char: str) -> None:
        kind, text = self.take()
        if kind != "punct" or text != char:
            raise parse_error(f"Encountered \"{text}\"; was expecting \"{char}\".")

    def integer(self, name: str) -> int:
        kind, text = self.take()
        if kind != "number" or "." in text or int(text) < 0:
            raise parse_error(f"Encountered \"{text}\"; {name} takes a whole number.")
        return int(text)

    def value(self):
        kind, text = self.take()
        if kind == "string":
            return text[1:-1].replace("\\'", "'").replace("''", "'")
        if kind == "number":
            return float(text)
        if kind == "word" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise parse_error(f"Encountered \"{text}\"; was expecting a value.")

    def path(self) -> list[str]:
        kind, text = self.take()
        if kind != "word":
            raise parse_error(f"Encountered \"{text}\"; was expecting a property name.")
        return text.split(".")

    def parse(self) -> Query:
        self.expect("SELECT")
        count = False
        if self.keyword("COUNT"):
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            count = True
        else:
            kind, text = self.take()
            if (kind, text) != ("punct", "*"):
                raise invalid_query(f"projections are not supported: select * or count(*), not {text!r}")
        self.expect("FROM")
        kind, text = self.take()
        entity = ENTITIES.get(text.lower()) if kind == "word" else None
        if entity is None:
            raise invalid_query(f"the sandbox serves Customer, Invoice and Payment, not {text!r}")
        query = Query(entity, count)
        if self.keyword("WHERE"):
            query.where.append(self.condition())
            while self.keyword("AND"):
                query.where.append(self.condition())
            if self.keyword("OR"):
                raise parse_error("Encountered \"OR\": OR is not supported.")
        if self.keyword("ORDERBY") or (self.keyword("ORDER") and self.keyword("BY")):
            query.order.append(self.order_item())
            while self.peek() == ("punct", ","):
                self.i += 1
                query.order.append(self.order_item())
        if self.keyword("STARTPOSITION"):
            query.start = max(1, self.integer("STARTPOSITION"))
        if self.keyword("MAXRESULTS"):
            query.max_results = min(self.integer("MAXRESULTS"), CAP)
        if self.peek() is not None:
            raise parse_error(f"Encountered \"{self.peek()[1]}\" at the end of the query.")
        return query

    def condition(self) -> Condition:
        path = self.path()
        if self.keyword("IN"):
            self.expect_punct("(")
            values = [self.value()]
            while self.peek() == ("punct", ","):
                self.i += 1
                values.append(self.value())
            self.expect_punct(")")
            return Condition(path, "in", values)
        if self.keyword("LIKE"):
            pattern = self.value()
            if not isinstance(pattern, str):
                raise parse_error("LIKE takes a quoted pattern.")
            return Condition(path, "like", [pattern])
        kind, text = self.take()
        if kind != "op":
            raise parse_error(f"Encountered \"{text}\"; was expecting an operator.")
        return Condition(path, "!=" if text == "<>" else text, [self.value()])

    def order_item(self) -> tuple[list[str], bool]:
        path = self.path()
        descending = self.keyword("DESC")
        if not descending:
            self.keyword("ASC")
        return path, descending


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise parse_error("the query is empty.")
    return Parser(text).parse()


# -- evaluation ------------------------------------------------------------------------------------
# A query filters and sorts every live entity of its kind, and a backfill asks for page after page:
# each entity's timestamps are parsed once, not once per query (the sandbox must not be what limits a
# benchmark of the worker against the realm's request limit).
_instant = lru_cache(maxsize=1 << 18)(clock.parse)


def lookup(obj: dict, path: list[str]):
    """The value at a property path, names case-insensitive; a reference gives its ``value``."""
    value = obj
    for part in path:
        if not isinstance(value, dict):
            return None
        key = part if part in value else next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(key) if key else None
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def _comparable(field_value, literal):
    """Both sides as one type: instants for dates, numbers, booleans, else text."""
    if isinstance(literal, bool) or isinstance(field_value, bool):
        return field_value, literal
    if isinstance(literal, float):
        try:
            return float(field_value), literal
        except (TypeError, ValueError):
            return field_value, literal
    if isinstance(literal, str) and isinstance(field_value, str) and re.match(r"\d{4}-\d\d-\d\d", literal):
        try:
            return _instant(field_value), _instant(literal)
        except ValueError:
            pass
    if isinstance(literal, str) and isinstance(field_value, (int, float)) and not isinstance(field_value, bool):
        try:
            return float(field_value), float(literal)
        except ValueError:
            pass
    return (str(field_value) if field_value is not None else None), literal


def _holds(obj: dict, cond: Condition) -> bool:
    raw = lookup(obj, cond.path)
    if cond.op == "like":
        pattern = "^" + ".*".join(re.escape(p) for p in cond.values[0].split("%")) + "$"
        return raw is not None and re.match(pattern, str(raw), re.I | re.S) is not None
    if cond.op == "in":
        return any(_equal(raw, v) for v in cond.values)
    if cond.op == "=":
        return _equal(raw, cond.values[0])
    if cond.op == "!=":
        return not _equal(raw, cond.values[0])
    left, right = _comparable(raw, cond.values[0])
    if left is None:
        return False
    try:
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[cond.op]
    except TypeError:
        return False


def _equal(raw, literal) -> bool:
    left, right = _comparable(raw, literal)
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    return left == right


def _sort_key(value):
    """Missing values first; instants, numbers and text each in their own order."""
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str) and re.match(r"\d{4}-\d\d-\d\d", value):
        try:
            return (2, _instant(value).timestamp())
        except ValueError:
            pass
    return (3, str(value).lower())


def _id_key(obj: dict):
    entity_id = str(obj.get("Id", ""))
    return (0, int(entity_id), "") if entity_id.isdigit() else (1, 0, entity_id)


def run(query: Query, live: list[dict]) -> dict:
    """The ``QueryResponse`` of `query` over the live entities of its kind."""
    rows = [obj for obj in live if all(_holds(obj, c) for c in query.where)]
    if query.entity == "Customer" and not query.names("Active"):
        rows = [obj for obj in rows if obj.get("Active", True)]
    if query.count:
        return {"totalCount": len(rows)}
    rows.sort(key=_id_key)
    for path, descending in reversed(query.order):
        rows.sort(key=lambda obj, p=path: _sort_key(lookup(obj, p)), reverse=descending)
    page = rows[query.start - 1: query.start - 1 + query.max_results]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
