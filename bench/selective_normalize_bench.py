"""What a staged page costs to normalize: the whole project's `dbt build` (what every staged page
asked for before) against the selective `dbt run` of the models its provider feeds
(INTEGRATIONS_NORMALIZE_SELECTIVE), as a `dbt` subprocess and in the worker's warm in-process dbt
(INTEGRATIONS_NORMALIZE_IN_PROCESS), all measured in this run on the same database.

The database holds a normalized history of Gmail and Slack; each round stages one new Slack message
and times the normalize task (subprocess dbt included: its start-up is part of the cost) until
product.chat_messages holds it. Median of the rounds; target ratios selective/full <= 0.5 and warm/subprocess <= 0.5.

    .venv/bin/python bench/selective_normalize_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import bench_database, report  # noqa: E402


def seed(url: str) -> tuple[uuid.UUID, uuid.UUID]:
    from tests.normalize.helpers import create_connection, make_message, stage_gmail
    from tests.normalize_slack.slack_payloads import create_slack_connection, message, stage_messages
    from worker.db.connect import connect

    tenant = uuid.uuid4()
    with connect(url) as conn:
        mailbox = create_connection(conn, tenant, "bench@acme.example")
        stage_gmail(conn, mailbox, tenant, {f"m{i}": make_message(subject=f"Note {i}") for i in range(200)})
        team = create_slack_connection(conn, tenant, "T0BENCH")
        stage_messages(conn, team, tenant, "C1", [message(f"1700000{i:03d}.000100", text=f"m {i}") for i in range(200)])
        conn.commit()
    return tenant, team


def one_round(url: str, tenant, team, select, n: int) -> float:
    from tests.normalize_slack.slack_payloads import message, stage_messages
    from worker.db.connect import connect
    from worker.tasks.normalize import normalize

    ts = f"1800000{n:03d}.000100"
    with connect(url) as conn:
        stage_messages(conn, team, tenant, "C1", [message(ts, text=f"round {n}")])
        conn.commit()
    began = time.perf_counter()
    assert asyncio.run(normalize(select=select)) == 0
    elapsed = time.perf_counter() - began
    with connect(url) as conn:
        assert conn.execute("select count(*) as n from product.chat_messages where tenant_id = %s and ts = %s",
                            (tenant, ts)).fetchone()["n"] == 1
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in ["python", *sys.argv])
    from worker.settings import get_settings

    with bench_database() as url, tempfile.TemporaryDirectory() as data:
        os.environ.update({"INTEGRATIONS_DATABASE_URL": url, "INTEGRATIONS_DATA_DIR": data})
        get_settings.cache_clear()
        tenant, team = seed(url)
        asyncio.run(__import__("worker.tasks.normalize", fromlist=["normalize"]).normalize())  # the history, built
        full = [one_round(url, tenant, team, None, n) for n in range(args.rounds)]
        os.environ["INTEGRATIONS_NORMALIZE_IN_PROCESS"] = "false"
        get_settings.cache_clear()
        selective = [one_round(url, tenant, team, ["slack"], 100 + n) for n in range(args.rounds)]
        os.environ["INTEGRATIONS_NORMALIZE_IN_PROCESS"] = "true"
        get_settings.cache_clear()
        first_warm = one_round(url, tenant, team, ["slack"], 199)  # imports dbt and parses the project
        warm = [one_round(url, tenant, team, ["slack"], 200 + n) for n in range(args.rounds)]
    full_s, selective_s, warm_s = statistics.median(full), statistics.median(selective), statistics.median(warm)
    report("normalize after one staged Slack page: selective run vs whole build (s)", selective_s, full_s, 0.5,
           f"whole project `dbt build` {full_s:.1f} s (median of {args.rounds}); selective `dbt run` of"
           f" staging/slack+ in a subprocess {selective_s:.1f} s", command, higher_is_better=False)
    report("normalize after one staged Slack page: warm in-process run vs subprocess run (s)", warm_s, selective_s,
           0.5, f"the same selective run in the worker's warm dbt {warm_s:.2f} s (median of {args.rounds}; the"
           f" first, which imports dbt and parses the project, {first_warm:.1f} s) against {selective_s:.1f} s"
           f" in a dbt subprocess", command, higher_is_better=False)


if __name__ == "__main__":
    main()
