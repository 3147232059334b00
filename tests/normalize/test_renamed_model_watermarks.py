"""A renamed or deleted model leaves its watermark row behind (int_calendar_events_latest became
int_google_calendar_events_latest). The removal log is pruned only below every watermark, so such
a row would keep it forever: the on-run-start hook forgets watermarks of models the project no
longer has."""

from __future__ import annotations

from tests.normalize.helpers import dbt, query
from worker.db.connect import connect


def test_the_watermark_of_a_model_that_no_longer_exists_is_forgotten(make_database, tmp_path):
    url = make_database.create(prefix="nz_wm")
    dbt(url, tmp_path / "runs", command="run")
    with connect(url) as conn:
        conn.execute("insert into integrations_staging.normalize_watermarks (model, low_xmin)"
                     " values ('int_calendar_events_latest', '1'::xid8)")
        conn.commit()

    dbt(url, tmp_path / "runs", command="run", select="stg_google__gmail_labels")

    models = {r["model"] for r in query(url, "select model from integrations_staging.normalize_watermarks")}
    assert "int_calendar_events_latest" not in models
    assert {"int_gmail_messages_latest", "int_google_calendar_events_latest", "emails", "meetings"} <= models
