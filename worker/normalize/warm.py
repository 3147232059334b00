"""dbt kept warm inside the worker process, for the selective runs a staged page asks for.

A `dbt` subprocess pays for itself on every run: importing dbt (about 1.5 s here) and parsing the
whole project (2-3 s, `--select` does not shrink it) before it builds the few models a page of new
mail feeds in under a second. A push-driven email must reach `product.emails` within seconds, so
the worker imports dbt once, parses the project once into a manifest and hands that manifest to
every later `dbtRunner(manifest=...)` invocation (dbt then skips parsing entirely).

dbt does not check a given manifest against the files, so this module does: the manifest is kept
with a fingerprint of the project's files (path, size, mtime), the project vars and the connection
settings, and is parsed again when any of them changed — an analyst's new model is picked up by
the next run, without a worker restart.

dbt sets process-wide state on every invocation (flags, the event logger, adapters), so one
invocation runs at a time per process (a lock), in a thread, so the event loop and procrastinate's
heartbeat keep running. Whole builds stay in a subprocess (`runner.run_dbt`): they are long,
cancellable there, and their memory is returned when they end.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Iterable

from worker.normalize.runner import DBT_PROJECT_ROOT, LineCallback, dbt_env, dbt_vars

logger = logging.getLogger(__name__)

# what dbt parses: a change under these (or of these files) invalidates the kept manifest
PARSED = ("dbt_project.yml", "profiles.yml", "packages.yml", "dbt_project")
SHOWN_LEVELS = ("info", "warn", "error")


def project_fingerprint(project_dir: Path, env: dict[str, str], variables: dict[str, str]) -> str:
    """A digest of everything parsing depends on: the project's files (path, size, mtime), the
    vars and the profile's environment. Stat only: a few milliseconds for this project."""
    digest = hashlib.sha256()
    for name in PARSED:
        root = project_dir / name
        paths = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else [root]
        for path in paths:
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    digest.update(json.dumps({"vars": variables, "env": env}, sort_keys=True).encode())
    return digest.hexdigest()


class WarmDbt:
    """One parsed manifest and the lock that keeps dbt to one invocation at a time."""

    def __init__(self, project_dir: Path = DBT_PROJECT_ROOT) -> None:
        self.project_dir = Path(project_dir)
        self._lock = threading.Lock()
        self._manifest = None
        self._fingerprint: str | None = None
        self.parses = 0  # how often the project was parsed (a test and the bench read it)

    def _common_args(self, work_dir: Path, variables: dict[str, str]) -> list[str]:
        return ["--project-dir", str(self.project_dir), "--profiles-dir", str(self.project_dir),
                "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
                "--vars", json.dumps(variables, sort_keys=True), "--quiet"]

    def run(self, database_url: str, select: Iterable[str], work_dir: Path,
            on_line: LineCallback = print, command: str = "run") -> int:
        """`dbt <command> --select ...` in this process; 0 on success, 1 when a model failed, 2
        when dbt could not run at all (its exception is the last line given to `on_line`)."""
        from dbt.cli.main import dbtRunner

        variables = dbt_vars()
        env = dbt_env(database_url, base={})
        with self._lock:
            # profiles.yml reads these through env_var(); the worker has one database
            os.environ.update(env)
            common = self._common_args(work_dir, variables)
            callbacks = [_forward(on_line)]
            fingerprint = project_fingerprint(self.project_dir, env, variables)
            if self._manifest is None or fingerprint != self._fingerprint:
                parsed = dbtRunner(callbacks=callbacks).invoke(["parse", *common])
                if not parsed.success:
                    on_line(f"dbt parse failed: {parsed.exception or 'see the lines above'}")
                    return 2
                self._manifest, self._fingerprint = parsed.result, fingerprint
                self.parses += 1
            result = dbtRunner(manifest=self._manifest, callbacks=callbacks).invoke(
                [command, "--select", *select, *common])
        if result.success:
            return 0
        if result.exception is not None:
            on_line(f"dbt could not run: {type(result.exception).__name__}: {result.exception}")
            return 2
        return 1

    def forget(self) -> None:
        """Drop the kept manifest (the next run parses again)."""
        with self._lock:
            self._manifest = self._fingerprint = None


def _forward(on_line: LineCallback):
    """dbt's events as the lines a subprocess would print (info and above; debug dropped)."""

    def callback(event) -> None:
        info = event.info
        if info.level in SHOWN_LEVELS and info.msg:
            for line in str(info.msg).splitlines():
                on_line(line)

    return callback


_WARM = WarmDbt()


def warm_dbt() -> WarmDbt:
    """The process's warm runner."""
    return _WARM


async def run_warm(database_url: str, select: Iterable[str], work_dir: Path, on_line: LineCallback = print,
                   command: str = "run") -> int:
    """`WarmDbt.run` in a thread: the event loop (and the job's heartbeat) goes on meanwhile. A
    cancelled caller stops waiting; the run itself finishes in its thread (seconds), under the lock."""
    work_dir.mkdir(parents=True, exist_ok=True)
    return await asyncio.to_thread(_WARM.run, database_url, list(select), work_dir, on_line, command)
