"""The toy's dbt part, added to a copy of the dbt project the way a provider adds its own: its
staging model in models/staging/toy/, its intermediate in models/intermediate/toy/ and one branch
in the email union (int_email_copies_unioned). Nothing of the shipped project is edited."""

from __future__ import annotations

import shutil
from pathlib import Path

from worker.normalize import DBT_PROJECT_ROOT

TOY_DBT = Path(__file__).parent / "dbt"

# where the branch goes: before the union's final CTE, and its `union all` after Gmail's select
UNION_ANCHOR = "unioned as (\n\n    select * from gmail\n"


def add_union_branch(union_sql: str) -> str:
    """The email union with the toy's branch: one CTE and one `union all`. Fails loudly when the
    union's shape changed, rather than building a project without the toy."""
    assert union_sql.count(UNION_ANCHOR) == 1, "int_email_copies_unioned.sql changed shape: update UNION_ANCHOR"
    branch = (TOY_DBT / "union_branch.sql").read_text()
    return union_sql.replace(UNION_ANCHOR, branch + UNION_ANCHOR + "    union all\n    select * from toy\n")


def project_with_toy(destination: Path) -> Path:
    """A copy of the dbt project (dbt_project.yml, profiles.yml, dbt_project/) with the toy in it."""
    destination.mkdir(parents=True)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(DBT_PROJECT_ROOT / name, destination / name)
    models = destination / "dbt_project" / "models"
    shutil.copytree(DBT_PROJECT_ROOT / "dbt_project", destination / "dbt_project")
    shutil.copytree(TOY_DBT / "staging" / "toy", models / "staging" / "toy")
    shutil.copytree(TOY_DBT / "intermediate" / "toy", models / "intermediate" / "toy")
    union = models / "intermediate" / "int_email_copies_unioned.sql"
    union.write_text(add_union_branch(union.read_text()))
    return destination
