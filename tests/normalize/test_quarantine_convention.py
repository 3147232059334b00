"""normalize_quarantine unions every provider's quarantine model by convention: a model tagged
`quarantine` with the quarantine columns, listed in the var `quarantine_models`. Adding one needs
no edit of the union, dbt builds it before the union (the dependency is known at parse time), and
a tagged model missing from the list fails the build instead of vanishing from the quarantine."""

from __future__ import annotations

import shutil

from tests.normalize.helpers import dbt, query

TOY_MODEL = """{{ config(materialized='view', tags=['quarantine']) }}
-- a toy provider's quarantine check: one record it could not use
select
    42::bigint as raw_id,
    null::uuid as connection_id,
    null::uuid as tenant_id,
    'toy.item'::text as resource_type,
    'item-1'::text as external_id,
    'toy reason'::text as reason
"""


def _project_with_toy_quarantine(destination, *, listed: bool):
    from worker.normalize import DBT_PROJECT_ROOT

    destination.mkdir()
    shutil.copy2(DBT_PROJECT_ROOT / "profiles.yml", destination / "profiles.yml")
    shutil.copytree(DBT_PROJECT_ROOT / "dbt_project", destination / "dbt_project")
    toy = destination / "dbt_project" / "models" / "intermediate" / "toy"
    toy.mkdir()
    (toy / "int_toy_items_quarantined.sql").write_text(TOY_MODEL)
    project = (DBT_PROJECT_ROOT / "dbt_project.yml").read_text()
    entry = "    - int_google_calendar_events_quarantined\n"
    assert entry in project
    if listed:
        project = project.replace(entry, entry + "    - int_toy_items_quarantined\n")
    (destination / "dbt_project.yml").write_text(project)
    return destination


def test_a_new_quarantine_model_is_in_the_union_without_editing_it(make_database, tmp_path):
    url = make_database.create(prefix="nz_qconv")
    project = _project_with_toy_quarantine(tmp_path / "project", listed=True)

    # only the union and its ancestors: the toy model is built first because dbt knows the dependency
    dbt(url, tmp_path / "runs", project_dir=project, command="run", select="+normalize_quarantine")

    assert query(url, "select raw_id, resource_type, external_id, reason"
                      " from integrations_staging.normalize_quarantine") == [
        {"raw_id": 42, "resource_type": "toy.item", "external_id": "item-1", "reason": "toy reason"}]


def test_a_tagged_quarantine_model_missing_from_the_list_fails_the_build(make_database, tmp_path):
    url = make_database.create(prefix="nz_qconv")
    project = _project_with_toy_quarantine(tmp_path / "project", listed=False)

    output = dbt(url, tmp_path / "runs", project_dir=project, command="run", select="+normalize_quarantine",
                 expect_ok=False)

    assert "Tagged but not listed: ['int_toy_items_quarantined']" in output, output[-3000:]
