"""What the demo shows: read-only queries on the demo tenant's rows, and how they print."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

import psycopg

from worker.store import query

Echo = Callable[[str], object]

QUARANTINE = "integrations_staging.normalize_quarantine"


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute(query("schema.relation_exists"), {"relation": relation}).fetchone()["present"]


def product_models(conn: psycopg.Connection) -> list[str]:
    """Every table and view in the `product` schema (whatever dbt built), plus the quarantine."""
    rows = conn.execute(query("demo.product_relations")).fetchall()
    names = [r["name"] for r in rows]
    if _exists(conn, QUARANTINE):
        names.append(QUARANTINE)
    return names


def _columns(conn: psycopg.Connection, relation: str) -> set[str]:
    schema, _, table = relation.partition(".")
    rows = conn.execute(query("demo.columns"), {"schema": schema, "table": table}).fetchall()
    return {r["column_name"] for r in rows}


def row_counts(conn: psycopg.Connection, tenant_id) -> dict[str, int]:
    """Rows of the tenant in every product model (joined through its parent when it has no tenant)."""
    counts = {}
    for relation in product_models(conn):
        columns = _columns(conn, relation)
        if "tenant_id" in columns:
            where = "tenant_id = %(t)s"
        elif "email_id" in columns and _exists(conn, "product.emails"):
            where = "email_id in (select email_id from product.emails where tenant_id = %(t)s)"
        elif "meeting_id" in columns and _exists(conn, "product.meetings"):
            where = "meeting_id in (select meeting_id from product.meetings where tenant_id = %(t)s)"
        elif "connection_id" in columns:
            where = "connection_id in (select id from integrations.connections where tenant_id = %(t)s)"
        else:
            where = "true"
        # the one composed statement: relation and filter come from the catalog, not from input
        counts[relation] = conn.execute(f"select count(*) as n from {relation} where {where}",
                                        {"t": tenant_id}).fetchone()["n"]
    return counts


def connections(conn: psycopg.Connection, tenant_id) -> list[dict]:
    return conn.execute(query("demo.connections"), {"tenant_id": tenant_id}).fetchall()


def capability_states(conn: psycopg.Connection, tenant_id) -> list[dict]:
    return conn.execute(query("demo.capability_states"), {"tenant_id": tenant_id}).fetchall()


def staged_counts(conn: psycopg.Connection, tenant_id) -> dict[str, int]:
    rows = conn.execute(query("demo.staged_counts"), {"tenant_id": tenant_id}).fetchall()
    return {r["resource_type"]: r["n"] for r in rows}


def sample_emails(conn: psycopg.Connection, tenant_id, limit: int = 5, email_ids=None) -> list[dict]:
    ids = None if email_ids is None else [str(i) for i in email_ids]
    return conn.execute(query("demo.sample_emails"), {"t": tenant_id, "n": limit, "ids": ids}).fetchall()


def shared_emails(conn: psycopg.Connection, tenant_id, limit: int = 3) -> list[dict]:
    """Emails held by more than one mailbox of the tenant: one product row, several mailbox rows."""
    return conn.execute(query("demo.shared_emails"), {"tenant_id": tenant_id, "limit": limit}).fetchall()


def cross_provider_emails(conn: psycopg.Connection, tenant_id, limit: int = 3) -> list[dict]:
    """Emails held by mailboxes of more than one provider (a Gmail and an Outlook mailbox)."""
    return conn.execute(query("demo.cross_provider_emails"), {"tenant_id": tenant_id, "limit": limit}).fetchall()


def cross_provider_meetings(conn: psycopg.Connection, tenant_id, limit: int = 3) -> list[dict]:
    """Meetings whose copies come from calendars of more than one provider."""
    rows = conn.execute(query("demo.cross_provider_meetings"), {"tenant_id": tenant_id, "limit": limit}).fetchall()
    every = meetings(conn, tenant_id)
    return [every[r["meeting_id"]] for r in rows]


def email_ids(conn: psycopg.Connection, tenant_id) -> set[str]:
    rows = conn.execute(query("demo.email_ids"), {"tenant_id": tenant_id})
    return {r["id"] for r in rows.fetchall()}


def meetings(conn: psycopg.Connection, tenant_id) -> dict[str, dict]:
    rows = conn.execute(query("demo.meetings"), {"tenant_id": tenant_id}).fetchall()
    return {r["meeting_id"]: r for r in rows}


# -- printing -------------------------------------------------------------------------------------
def _when(value) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M %Z").strip()
    return str(value) if value is not None else "-"


def _cut(text, width: int) -> str:
    text = (text or "-").replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def table(echo: Echo, rows: list[dict], columns: list[tuple[str, str, int]], indent: str = "    ") -> None:
    """`columns`: (key, heading, width); values are cut to the width."""
    echo(indent + "  ".join(h.ljust(w) for _, h, w in columns).rstrip())
    for row in rows:
        cells = []
        for key, _, width in columns:
            value = row.get(key)
            cells.append(_cut(_when(value) if isinstance(value, datetime) else
                              ("-" if value is None else str(value)), width).ljust(width))
        echo(indent + "  ".join(cells).rstrip())


def print_connections(echo: Echo, conn, tenant_id) -> None:
    rows = connections(conn, tenant_id)
    for row in rows:
        row["capabilities"] = ", ".join(row["capabilities"])
    table(echo, rows, [("id", "CONNECTION", 36), ("account_id", "ACCOUNT", 18), ("status", "STATUS", 8),
                       ("capabilities", "CAPABILITIES", 90)])


def print_capabilities(echo: Echo, conn, tenant_id) -> None:
    rows = capability_states(conn, tenant_id)
    for row in rows:
        row["stream"] = row["stream"] or "-"
    table(echo, rows, [("account_id", "ACCOUNT", 18), ("capability", "CAPABILITY", 20), ("stream", "STREAM", 18),
                       ("status", "STATUS", 16), ("last_success_at", "LAST SUCCESS", 20),
                       ("last_error", "LAST ERROR", 50)])


def print_counts(echo: Echo, counts: dict[str, int], staged: dict[str, int] | None = None) -> None:
    width = max(len(k) for k in counts) if counts else 10
    if staged:
        for kind, n in staged.items():
            echo(f"    {'raw_records (' + kind + ')':<{width}}  {n:>7}")
    for relation, n in counts.items():
        echo(f"    {relation:<{width}}  {n:>7}")


def print_emails(echo: Echo, rows: list[dict]) -> None:
    table(echo, rows, [("subject", "SUBJECT", 38), ("from_address", "FROM", 32), ("sent_at", "SENT AT", 20),
                       ("direction", "DIRECTION", 9), ("mailboxes", "MAILBOXES", 9)])


def print_meetings(echo: Echo, rows: list[dict]) -> None:
    for row in rows:
        row["when"] = row["start_at"] if row["start_at"] is not None else row["start_date"]
    table(echo, rows, [("title", "TITLE", 44), ("when", "STARTS", 20), ("status", "STATUS", 10),
                       ("organizer_address", "ORGANIZER", 28), ("attendees", "ATTENDEES", 9)])
