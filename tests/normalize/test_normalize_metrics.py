"""Normalize runs in the metrics: each run of the normalize task, selective (the warm in-process
dbt) or whole (the `dbt build` subprocess), is timed and counts the rows dbt reported changing."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from tests.normalize.test_warm_runner import built, stage, texts  # noqa: F401 (a fixture)


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_each_normalize_run_is_timed_and_counts_the_rows_it_changed(built):  # noqa: F811
    from worker.tasks.normalize import normalize

    before = {kind: (sample("integrations_normalize_duration_seconds_count", kind=kind, outcome="ok"),
                     sample("integrations_normalize_rows_changed_total", kind=kind)) for kind in ("selective", "whole")}
    stage(built, "1700000300.000100", "counted")
    stage(built, "1700000400.000100", "counted too")
    assert asyncio.run(normalize(select=["slack"])) == 0
    assert {"counted", "counted too"} <= set(texts(built))
    runs, rows = before["selective"]
    assert sample("integrations_normalize_duration_seconds_count", kind="selective", outcome="ok") == runs + 1
    assert sample("integrations_normalize_rows_changed_total", kind="selective") >= rows + 2

    stage(built, "1700000500.000100", "by the whole build")
    assert asyncio.run(normalize()) == 0
    runs, rows = before["whole"]
    assert sample("integrations_normalize_duration_seconds_count", kind="whole", outcome="ok") == runs + 1
    assert sample("integrations_normalize_rows_changed_total", kind="whole") >= rows + 1
