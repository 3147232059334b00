"""Compare every table of one schema (`product` by default) in two databases, row by row.

Why: `integrations reprocess` must give the same product tables whatever dbt version ran it (issue
34 compared dbt-core 1.11 and 1.12 on the same raw records). Each table's rows are read in key
order (its primary key or first unique index, then the whole row) as PostgreSQL's text form of the
row, so every column compares exactly, types included. Prints one line per table; exits 1 when
the tables, their columns or any row differ.

    .venv/bin/python scripts/compare_reprocess.py postgresql://.../db_a postgresql://.../db_b [--schema product]
"""

from __future__ import annotations

import argparse
import sys

import psycopg
from psycopg import sql

KEY_COLUMNS = """
select a.attname
from pg_index i
join pg_class c on c.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
join lateral unnest(i.indkey) with ordinality as k(attnum, position) on true
join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
where n.nspname = %(schema)s and c.relname = %(table)s
  and i.indexrelid = (select i2.indexrelid from pg_index i2 where i2.indrelid = c.oid and i2.indisunique
                      order by i2.indisprimary desc, i2.indexrelid limit 1)
order by k.position
"""


def tables(conn: psycopg.Connection, schema: str) -> dict[str, list[tuple[str, str]]]:
    """Each base table of the schema with its (column, type) list, in column order."""
    rows = conn.execute(
        "select c.table_name, c.column_name, c.data_type from information_schema.columns c"
        " join information_schema.tables t using (table_schema, table_name)"
        " where c.table_schema = %s and t.table_type = 'BASE TABLE' order by c.table_name, c.ordinal_position",
        (schema,)).fetchall()
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        found.setdefault(table, []).append((column, data_type))
    return found


def rows(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    key = [r[0] for r in conn.execute(KEY_COLUMNS, {"schema": schema, "table": table}).fetchall()]
    order = [sql.SQL("t.{}").format(sql.Identifier(column)) for column in key] + [sql.SQL("t::text")]
    query = sql.SQL("select t::text from {}.{} as t order by {}").format(
        sql.Identifier(schema), sql.Identifier(table), sql.SQL(", ").join(order))
    return [r[0] for r in conn.execute(query).fetchall()]


def compare(url_a: str, url_b: str, schema: str) -> int:
    with psycopg.connect(url_a) as a, psycopg.connect(url_b) as b:
        tables_a, tables_b = tables(a, schema), tables(b, schema)
        differences = 0
        for table in sorted(tables_a.keys() | tables_b.keys()):
            if table not in tables_a or table not in tables_b:
                print(f"{schema}.{table}: only in {'A' if table in tables_a else 'B'}")
                differences += 1
                continue
            if tables_a[table] != tables_b[table]:
                print(f"{schema}.{table}: columns differ: A {tables_a[table]} B {tables_b[table]}")
                differences += 1
                continue
            rows_a, rows_b = rows(a, schema, table), rows(b, schema, table)
            differing = [(i, x, y) for i, (x, y) in enumerate(zip(rows_a, rows_b)) if x != y]
            differing_count = len(differing) + abs(len(rows_a) - len(rows_b))
            print(f"{schema}.{table}: {len(rows_a)} rows in A, {len(rows_b)} in B, {differing_count} differ")
            for i, x, y in differing[:3]:
                print(f"  row {i}:\n    A {x}\n    B {y}")
            differences += differing_count
    print(f"{len(tables_a)} tables compared, {differences} differences")
    return 1 if differences else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url_a")
    parser.add_argument("url_b")
    parser.add_argument("--schema", default="product")
    args = parser.parse_args()
    sys.exit(compare(args.url_a, args.url_b, args.schema))


if __name__ == "__main__":
    main()
