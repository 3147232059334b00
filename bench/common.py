"""Shared by the benchmarks: a throwaway migrated database and one result line format."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from worker.db.connect import connect
from worker.db.migrate import migrate

RESULTS = os.environ.get("BENCH_RESULTS")  # bench/run collects one JSON line per figure here


@contextlib.contextmanager
def bench_database():
    """A fresh migrated database on INTEGRATIONS_DATABASE_URL's server, or the embedded one."""
    server = os.environ.get("INTEGRATIONS_DATABASE_URL")
    if not server:
        from worker.db.embedded import ensure_embedded

        checkout_data = Path(__file__).resolve().parents[1] / ".integrations"
        server = ensure_embedded(Path(os.environ.get("INTEGRATIONS_DATA_DIR", checkout_data)).resolve() / "pg",
                                 database="postgres")
    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    try:
        with connect(url) as conn:
            migrate(conn)
        yield url
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


def report(name: str, figure: float, baseline: float, target_ratio: float, detail: str, command: str,
           higher_is_better: bool = True) -> bool:
    """Print the figure, its ratio to the baseline measured in the same run, and pass/fail."""
    ratio = figure / baseline if baseline else float("inf")
    ok = ratio >= target_ratio if higher_is_better else ratio <= target_ratio
    print(f"{name}: {detail}")
    print(f"  ratio {ratio:.2f} (target {'>=' if higher_is_better else '<='} {target_ratio}) -> {'PASS' if ok else 'FAIL'}")
    print(f"  command: {command}")
    if RESULTS:
        with open(RESULTS, "a") as out:
            out.write(json.dumps({"name": name, "figure": round(figure, 2), "baseline": round(baseline, 2),
                                  "ratio": round(ratio, 3), "target": target_ratio,
                                  "higher_is_better": higher_is_better, "pass": ok, "command": command}) + "\n")
    return ok


def record(name: str, figure: float, unit: str, command: str) -> None:
    """A figure with no target of its own (shown in the table without pass/fail)."""
    print(f"{name}: {figure:,.1f} {unit}")
    if RESULTS:
        with open(RESULTS, "a") as out:
            out.write(json.dumps({"name": name, "figure": round(figure, 2), "unit": unit, "baseline": None,
                                  "ratio": None, "target": None, "pass": None, "command": command}) + "\n")
