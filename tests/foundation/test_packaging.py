"""What ships where: the ``worker`` wheel carries the migrations and the dbt project and never the
sandbox; ``worker`` never imports ``sandbox`` and says what to install when a command needs it."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# runs `integrations ARGS...` with the sandbox unimportable, as in a production install
WITHOUT_SANDBOX = textwrap.dedent("""
    import sys

    class NoSandbox:
        def find_spec(self, name, path=None, target=None):
            if name == "sandbox" or name.startswith("sandbox."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, NoSandbox())
    from worker.cli import main

    sys.argv = ["integrations", *sys.argv[1:]]
    main()
""")


def _imported_modules(tree: ast.AST):
    """Every module an import statement names, at any depth (function-level imports included)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def test_worker_never_imports_sandbox():
    offenders = []
    for path in sorted((ROOT / "worker").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for line, module in _imported_modules(tree):
            if module == "sandbox" or module.startswith("sandbox."):
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {module}")
    assert not offenders, "worker imports the sandbox (load it through worker.optional):\n" + "\n".join(offenders)


@pytest.mark.parametrize("args", [["sandbox", "serve", "--port", "0"], ["demo", "--messages", "20"]])
def test_commands_that_need_the_sandbox_say_what_to_install_when_it_is_missing(tmp_path, args):
    result = subprocess.run([sys.executable, "-c", WITHOUT_SANDBOX, *args], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "not installed" in result.stderr and "pip install -e ./sandbox" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_cli_still_starts_without_the_sandbox(tmp_path):
    result = subprocess.run([sys.executable, "-c", WITHOUT_SANDBOX, "--help"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "sandbox" in result.stdout


def _checkout_copy(destination: Path) -> Path:
    """The files a build reads, copied so the build leaves no build/ or egg-info in the checkout."""
    destination.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "target", "logs", "dbt_packages")
    for name in ("pyproject.toml", "setup.py", "README.md", "dbt_project.yml", "profiles.yml"):
        shutil.copy2(ROOT / name, destination / name)
    for name in ("worker", "sql", "dbt_project", "sandbox"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    return destination


def test_wheel_ships_migrations_and_the_dbt_project_but_not_the_sandbox(tmp_path):
    source = _checkout_copy(tmp_path / "src")  # sandbox/ included: it must stay out by itself
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", ".",
                    "-w", str(wheels)], cwd=source, check=True, timeout=300)
    (wheel,) = wheels.glob("worker-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    migrations = sorted(p.name for p in (ROOT / "sql").glob("*.sql"))
    assert migrations and {f"worker/_resources/sql/{m}" for m in migrations} <= names
    dbt_files = [p.relative_to(ROOT).as_posix() for p in (ROOT / "dbt_project").rglob("*")
                 if p.is_file() and "__pycache__" not in p.parts]
    expected = {"dbt_project.yml", "profiles.yml", *dbt_files}
    assert any(f.endswith(".sql") for f in dbt_files) and any("/macros/" in f for f in dbt_files)
    missing = {f for f in expected if f"worker/_resources/dbt/{f}" not in names}
    assert not missing, f"the wheel lacks dbt files: {sorted(missing)}"
    assert not [n for n in names if n.startswith(("sandbox/", "worker/sandbox/")) or "/sandbox/" in n]
    assert not [n for n in names if n.endswith("setup.py")]

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, timeout=300)
    probe = ("import worker, worker.resources as r; "
             "print(worker.__file__); print(r.sql_dir()); print(r.dbt_project_dir())")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(target)}
    found = subprocess.run([sys.executable, "-S", "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                           text=True, check=True, timeout=60).stdout.split()
    package, sql_dir, dbt_dir = (Path(line) for line in found)
    for path in (package, sql_dir, dbt_dir):
        assert path.is_relative_to(target), f"{path} is not the installed copy in {target}"
    assert sorted(p.name for p in sql_dir.glob("*.sql")) == migrations
    assert (dbt_dir / "dbt_project.yml").is_file() and (dbt_dir / "profiles.yml").is_file()
    assert (dbt_dir / "dbt_project" / "models").is_dir()
