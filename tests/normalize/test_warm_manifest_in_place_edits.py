"""The warm runner parses the project again when a file it already knew is edited in place (same
path): an analyst fixing a model, a macro, a YAML file or dbt_project.yml must not need a worker
restart, and a stale manifest would keep building the old SQL.

dbt itself is replaced by a recording fake (`dbtRunner`): what is checked is the warm runner's own
decision to parse again, in milliseconds. A file's mtime has a coarse granularity on some file
systems (an edit within the same tick keeps it), so each edit sets the mtime explicitly: a new
size with the OLD mtime, and a same-size edit with a NEWER mtime -- either alone must be enough.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from worker.normalize.runner import DBT_PROJECT_ROOT
from worker.normalize.warm import WarmDbt
from worker.settings import get_settings

URL = "postgresql://postgres@127.0.0.1:5432/unused"  # the fake never connects


class FakeDbt:
    """Stands in for `dbt.cli.main.dbtRunner`: records each invocation and the manifest it got."""

    def __init__(self) -> None:
        self.invocations: list[tuple[str, object]] = []
        self.manifests = 0

    def runner(self, manifest=None, callbacks=None):
        fake = self

        class Runner:
            def invoke(self, args):
                fake.invocations.append((args[0], manifest))
                if args[0] == "parse":
                    fake.manifests += 1
                    return SimpleNamespace(success=True, result=f"manifest {fake.manifests}", exception=None)
                return SimpleNamespace(success=True, result=None, exception=None)

        return Runner()

    def manifests_used(self) -> list:
        return [manifest for command, manifest in self.invocations if command != "parse"]


@pytest.fixture
def fake_dbt(monkeypatch):
    import dbt.cli.main

    fake = FakeDbt()
    monkeypatch.setattr(dbt.cli.main, "dbtRunner", fake.runner)
    before = dict(os.environ)  # WarmDbt.run exports the profile's variables into the process
    get_settings.cache_clear()
    yield fake
    os.environ.clear()
    os.environ.update(before)
    get_settings.cache_clear()


@pytest.fixture
def project(tmp_path) -> Path:
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy2(DBT_PROJECT_ROOT / name, copy / name)
    shutil.copytree(DBT_PROJECT_ROOT / "dbt_project", copy / "dbt_project")
    return copy


# an existing file of each kind dbt parses, by its path in the project
EDITED = ["dbt_project/models/product/text_messages.sql", "dbt_project/macros/twilio.sql",
          "dbt_project/models/product/_product.yml", "dbt_project.yml", "profiles.yml"]


def run(warm: WarmDbt, tmp_path: Path) -> None:
    assert warm.run(URL, ["path:dbt_project/models/staging/twilio+"], tmp_path / "warm", lambda line: None) == 0


def test_an_unchanged_project_is_parsed_once(fake_dbt, project, tmp_path):
    warm = WarmDbt(project)
    run(warm, tmp_path)
    run(warm, tmp_path)
    assert warm.parses == 1
    assert [c for c, _ in fake_dbt.invocations] == ["parse", "run", "run"]
    assert fake_dbt.manifests_used() == ["manifest 1", "manifest 1"]


@pytest.mark.parametrize("name", EDITED)
def test_an_in_place_edit_of_another_size_is_parsed_again_even_within_one_mtime_tick(fake_dbt, project, tmp_path,
                                                                                      name):
    warm = WarmDbt(project)
    run(warm, tmp_path)
    path = project / name
    stat = path.stat()
    path.write_text(path.read_text() + "\n")  # one more (trailing) newline: dbt reads the same thing
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the edit landed in the same mtime tick
    assert path.stat().st_size != stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    run(warm, tmp_path)
    assert warm.parses == 2
    assert fake_dbt.manifests_used() == ["manifest 1", "manifest 2"]  # the new manifest builds


@pytest.mark.parametrize("name", EDITED)
def test_a_same_size_in_place_edit_is_parsed_again(fake_dbt, project, tmp_path, name):
    warm = WarmDbt(project)
    run(warm, tmp_path)
    path = project / name
    stat = path.stat()
    text = path.read_text()
    assert " " in text
    path.write_text(text.replace(" ", "\t", 1))  # one character for another: the same size
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))  # a later tick
    assert path.stat().st_size == stat.st_size
    run(warm, tmp_path)
    assert warm.parses == 2
    assert fake_dbt.manifests_used() == ["manifest 1", "manifest 2"]
