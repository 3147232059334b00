"""The install is the locked set: `make lock-check` (the first step of `make install` and of CI)
refuses a `uv.lock` that no longer matches `pyproject.toml`, and says how to fix it; the lock keeps
dbt-core-experimental-parser out of every install (its build downloads a binary from outside the
package index) and the sandbox out of the worker's own requirements."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# uv as `make install` bootstrapped it, next to the venv running the tests (the checkout's own even
# when the mutation gate runs this file in a copy of the tree)
UV = Path(sys.prefix).parent / ".integrations" / "tools" / "bin" / "uv"


@pytest.fixture
def project_copy(tmp_path):
    if not UV.is_file():
        pytest.fail(f"{UV} is missing: `make install` bootstraps uv there")
    for name in ("pyproject.toml", "uv.lock", "setup.py", "Makefile", "README.md", "sandbox/pyproject.toml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    return tmp_path


def lock_check(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "lock-check", f"UV={UV}"], cwd=directory,
                          capture_output=True, text=True, timeout=120)


def test_a_lock_out_of_date_with_pyproject_is_refused_with_the_fix(project_copy):
    current = lock_check(project_copy)
    assert current.returncode == 0, current.stdout + current.stderr
    pyproject = project_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"click>=8.1",', '"click>=8.1",\n    "six>=1.16",', 1))
    stale = lock_check(project_copy)
    assert stale.returncode != 0
    assert "uv.lock is out of date with pyproject.toml" in stale.stderr and "make lock" in stale.stderr


def test_the_lock_installs_no_experimental_parser_and_the_wheel_requires_no_sandbox():
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    packages = {p["name"]: p for p in lock["package"]}
    dbt_core = packages["dbt-core"]
    assert dbt_core["version"].startswith("1.12."), dbt_core["version"]
    parser = [d for d in dbt_core["dependencies"] if d["name"] == "dbt-core-experimental-parser"]
    assert parser and all(d.get("marker") == "sys_platform == 'never'" for d in parser), parser
    worker_requires = {d["name"] for d in packages["worker"]["dependencies"]}
    assert "integrations-sandbox" not in worker_requires and "dbt-core" in worker_requires
