"""Running `dbt build` on the project's database from Python, without blocking an event loop.

The database URL (settings or the embedded server) becomes the environment variables that
`profiles.yml` reads (DBT_PGHOST, DBT_PGPORT, ...); dbt itself is the `dbt` executable installed
next to this interpreter, started with `asyncio.create_subprocess_exec` and its output streamed
line by line to a callback.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Callable, Iterable, Mapping

from psycopg.conninfo import conninfo_to_dict

from worker.resources import dbt_project_dir

DBT_PROJECT_ROOT = dbt_project_dir()
"""The directory holding dbt_project.yml and profiles.yml (the repository root, or the installed
package's copy: `worker.resources`)."""

KEEP_RUN_DIRS = 10

LineCallback = Callable[[str], object]


def dbt_executable() -> str:
    """The `dbt` script of this interpreter's environment (a venv's bin/), else the one on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("dbt")
    if found is None:
        raise FileNotFoundError(f"no dbt executable next to {sys.executable} or on PATH")
    return found


def dbt_env(database_url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a dbt process: `profiles.yml`'s variables from the URL, no telemetry.

    `postgresql://user:pw@host:5432/db` and `postgresql://user:@/db?host=/socket/dir` both work;
    a host starting with "/" is a socket directory, as with libpq.
    """
    params = conninfo_to_dict(database_url)
    env = dict(os.environ if base is None else base)
    env.update(
        {
            "DBT_PGHOST": str(params.get("host") or "localhost"),
            "DBT_PGPORT": str(params.get("port") or "5432"),
            "DBT_PGUSER": str(params.get("user") or os.environ.get("USER", "postgres")),
            "DBT_ENV_SECRET_PGPASSWORD": str(params.get("password") or ""),
            "DBT_PGDATABASE": str(params.get("dbname") or "postgres"),
            "DBT_PGSSLMODE": str(params.get("sslmode") or "prefer"),
            # never phone home: no usage statistics, no version check
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "DBT_VERSION_CHECK": "false",
            "DBT_USE_COLORS": "false",
            "DBT_PRINTER_WIDTH": "100",
        }
    )
    # a multi-host URL is rare here; dbt takes one host and one port
    env["DBT_PGHOST"] = env["DBT_PGHOST"].split(",")[0]
    env["DBT_PGPORT"] = env["DBT_PGPORT"].split(",")[0]
    return env


def dbt_vars() -> dict[str, str]:
    """The project vars the settings decide (passed as `--vars` on every run, always the same
    ones, so dbt's partial parse stays valid): INTEGRATIONS_DEFAULT_PHONE_REGION is
    `default_phone_region`, the region of phone numbers written without a country code."""
    from worker.settings import get_settings

    return {"default_phone_region": get_settings().default_phone_region}


def _default_runs_dir() -> Path:
    from worker.settings import get_settings

    return get_settings().data_dir.resolve() / "dbt" / "runs"


def _new_run_dir(runs_dir: Path) -> Path:
    runs_dir.mkdir(parents=True, exist_ok=True)
    run_dir = runs_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    (run_dir / "target").mkdir(parents=True)
    (run_dir / "logs").mkdir()
    # reuse the newest partial parse: dbt then re-parses only files that changed
    previous = sorted((p for p in runs_dir.iterdir() if p != run_dir and p.is_dir()), reverse=True)
    for old in previous:
        cached = old / "target" / "partial_parse.msgpack"
        if cached.exists():
            shutil.copy2(cached, run_dir / "target" / "partial_parse.msgpack")
            break
    for old in previous[KEEP_RUN_DIRS - 1:]:
        shutil.rmtree(old, ignore_errors=True)
    return run_dir


def dbt_command(
    *,
    command: str = "build",
    full_refresh: bool = False,
    select: Iterable[str] | str | None = None,
    project_dir: Path | None = None,
    target_path: Path | None = None,
    log_path: Path | None = None,
    extra_args: Iterable[str] = (),
    variables: Mapping[str, str] | None = None,
) -> list[str]:
    project_dir = Path(project_dir or DBT_PROJECT_ROOT)
    args = [dbt_executable(), command, "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)]
    if variables:
        args += ["--vars", json.dumps(dict(variables), sort_keys=True)]
    if target_path is not None:
        args += ["--target-path", str(target_path)]
    if log_path is not None:
        args += ["--log-path", str(log_path)]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        selectors = [select] if isinstance(select, str) else list(select)
        args += ["--select", *selectors]
    args += list(extra_args)
    return args


async def run_dbt(
    database_url: str,
    *,
    full_refresh: bool = False,
    select: Iterable[str] | str | None = None,
    on_line: LineCallback = print,
    command: str = "build",
    project_dir: Path | None = None,
    runs_dir: Path | None = None,
    extra_args: Iterable[str] = (),
    variables: Mapping[str, str] | None = None,
    on_target: Callable[[Path], object] | None = None,
) -> int:
    """`dbt build` (or `command`) against `database_url`; returns dbt's exit code.

    `on_target` gets the run's target directory once dbt exited (its run_results.json: `rows_affected`).

    `variables` are the project vars (`--vars`); by default those of the settings (`dbt_vars()`).

    Each line dbt prints goes to `on_line` as it arrives. Cancelling the awaiting task terminates
    dbt (and waits for it), so a stopped worker leaves no dbt behind.
    """
    run_dir = _new_run_dir(Path(runs_dir) if runs_dir else _default_runs_dir())
    args = dbt_command(
        command=command,
        full_refresh=full_refresh,
        select=select,
        project_dir=project_dir,
        target_path=run_dir / "target",
        log_path=run_dir / "logs",
        extra_args=extra_args,
        variables=dbt_vars() if variables is None else variables,
    )
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=dbt_env(database_url),
        cwd=str(Path(project_dir or DBT_PROJECT_ROOT)),
    )
    try:
        assert process.stdout is not None
        async for raw in process.stdout:
            on_line(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
        code = await process.wait()
        if on_target is not None:
            on_target(run_dir / "target")
        return code
    except BaseException:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=30)
            except asyncio.TimeoutError:
                process.kill()
                await process.wait()
        raise


def rows_affected(target_dir: Path) -> int | None:
    """Rows the run's models inserted, updated or deleted, as dbt reports them (run_results.json's
    `adapter_response.rows_affected`); None when the file is missing or unreadable."""
    try:
        results = json.loads((Path(target_dir) / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    total = 0
    for result in results:
        rows = ((result or {}).get("adapter_response") or {}).get("rows_affected")
        if isinstance(rows, int) and rows > 0:
            total += rows
    return total


def run_dbt_sync(database_url: str, **kwargs) -> int:
    """Blocking twin of `run_dbt` for the CLI and scripts (not for code inside an event loop)."""
    return asyncio.run(run_dbt(database_url, **kwargs))
