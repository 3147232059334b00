#!/usr/bin/env python3
"""The mutation gate: break one mechanism at a time and check that its tests notice.

Why: a suite can pass while checking nothing that matters (issue 18 found a cursor saved before
its page, and hidden mail never restaged, both unnoticed). Each entry of `mutations.toml` names
the code it breaks and the tests that must then fail.

How: the tree (tracked and untracked-but-not-ignored files) is copied once to a temporary
directory; for each mutation its file is mutated there, only its tests run (in file order, no
random order), and the file is restored from the pristine text in a `finally`. The working tree
is never written; its `git status`/`git diff` are compared before and after to prove it. Python
in the copy imports the copy's `worker` (PYTHONPATH and the working directory point at it), and
dbt reads the copy's project, because both are found relative to the copy.

Outcome per mutation: killed (tests failed), survived (tests passed: the gate fails), skipped
(a `pending` entry whose tests do not exist yet), or error (a stale snippet, tests that do not
collect, or an unmutated baseline that already fails: the gate fails too). Exit 0 only when
every non-pending mutation is killed.

    python mutations/run.py                 # all of them
    python mutations/run.py -k watermark    # names containing "watermark"
    python mutations/run.py --ci            # the fast subset (entries marked `ci = true`)
    python mutations/run.py --list
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTATIONS = Path(__file__).resolve().parent / "mutations.toml"
PYTEST = ["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:randomly", "-o", "addopts="]
TIMEOUT_SECONDS = 900  # a single mutation's tests; a hang counts as killed (the tests did not pass)


@dataclass
class Mutation:
    name: str
    mechanism: str
    file: str
    original: str
    replacement: str
    tests: list[str]
    pending: str | None = None
    ci: bool = False  # in the fast subset `--ci` runs (one or two mutations per invariant)
    outcome: str = "not run"
    detail: str = ""
    seconds: float = 0.0

    def test_files(self) -> list[str]:
        return sorted({t.split("::")[0] for t in self.tests})


@dataclass
class Gate:
    mutations: list[Mutation]
    copy: Path
    env: dict[str, str]
    log_dir: Path
    results: list[Mutation] = field(default_factory=list)


def load(path: Path = MUTATIONS) -> list[Mutation]:
    data = tomllib.loads(path.read_text())
    mutations, names = [], set()
    for n, entry in enumerate(data.get("mutation", []), 1):
        missing = {"name", "mechanism", "file", "original", "replacement", "tests"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: mutation #{n} lacks {', '.join(sorted(missing))}")
        unknown = set(entry) - {"name", "mechanism", "file", "original", "replacement", "tests", "pending",
                                "ci"}
        if unknown:
            raise SystemExit(f"{path}: mutation {entry['name']!r} has unknown fields {', '.join(sorted(unknown))}")
        if entry["name"] in names:
            raise SystemExit(f"{path}: two mutations are named {entry['name']!r}")
        if not entry["tests"]:
            raise SystemExit(f"{path}: mutation {entry['name']!r} lists no tests")
        if not isinstance(entry.get("ci", False), bool):
            raise SystemExit(f"{path}: mutation {entry['name']!r} has a ci field that is not true/false")
        if entry["original"] == entry["replacement"]:
            raise SystemExit(f"{path}: mutation {entry['name']!r} changes nothing")
        names.add(entry["name"])
        mutations.append(Mutation(**entry))
    return mutations


def tree_files(root: Path) -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=root,
                         check=True, capture_output=True).stdout.decode()
    return [f for f in out.split("\0") if f and (root / f).is_file()]


def tree_fingerprint(root: Path) -> str:
    """`git status` plus the full diff: equal before and after means the tree was not written."""
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=root,
                            check=True, capture_output=True).stdout
    diff = subprocess.run(["git", "diff", "HEAD", "--binary"], cwd=root, check=True, capture_output=True).stdout
    return (status + b"\0" + diff).decode(errors="replace")


def make_copy(root: Path, into: Path) -> None:
    for name in tree_files(root):
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)


def copy_env(copy: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(copy) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("INTEGRATIONS_TEST_PG_DIR", str(ROOT / ".integrations" / "test-pg"))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def check_imports_copy(copy: Path, env: dict[str, str]) -> None:
    found = subprocess.run([sys.executable, "-c", "import worker; print(worker.__file__)"], cwd=copy, env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    if not Path(found).resolve().is_relative_to(copy.resolve()):
        raise SystemExit(f"the copy imports worker from {found}, not from {copy}: mutations would not apply")


def collected_ids(gate: Gate) -> set[str]:
    """Node ids of every test in the files the mutations list (one collection run)."""
    files = sorted({f for m in gate.mutations for f in m.test_files() if (gate.copy / f).exists()})
    if not files:
        return set()
    done = subprocess.run([sys.executable, *PYTEST, "--collect-only", *files], cwd=gate.copy, env=gate.env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode not in (0, 5):
        raise SystemExit(f"collecting the listed test files failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return {line.strip() for line in done.stdout.splitlines() if "::" in line}


def missing_tests(mutation: Mutation, collected: set[str]) -> list[str]:
    """Listed tests that do not exist: a file with no test, or a node id that collects nothing."""
    def found(test: str) -> bool:
        return any(c == test or c.startswith(test + "::") or c.startswith(test + "[") for c in collected)
    return [t for t in mutation.tests if not found(t)]


def run_tests(gate: Gate, tests: list[str], log: Path) -> tuple[int | None, float]:
    started = time.monotonic()
    with log.open("w") as out:
        try:
            code = subprocess.run([sys.executable, *PYTEST, *tests], cwd=gate.copy, env=gate.env, stdout=out,
                                  stderr=subprocess.STDOUT, timeout=TIMEOUT_SECONDS).returncode
        except subprocess.TimeoutExpired:
            code = None
    return code, time.monotonic() - started


def tail(path: Path, lines: int = 3) -> str:
    text = path.read_text(errors="replace").strip().splitlines()
    return " | ".join(text[-lines:])


def baseline(gate: Gate, runnable: list[Mutation]) -> bool:
    """The unmutated tests must pass; otherwise a "kill" proves nothing."""
    tests = list(dict.fromkeys(t for m in runnable for t in m.tests))
    log = gate.log_dir / "baseline.log"
    code, seconds = run_tests(gate, tests, log)
    print(f"baseline: {len(tests)} test ids, {'pass' if code == 0 else 'FAIL'} in {seconds:.0f} s", flush=True)
    if code != 0:
        print(f"  the unmutated tests fail; see {log}: {tail(log)}", flush=True)
    return code == 0


def run_one(gate: Gate, mutation: Mutation) -> None:
    target = gate.copy / mutation.file
    if not target.exists():
        mutation.outcome, mutation.detail = "error", f"{mutation.file} does not exist"
        return
    pristine = target.read_text()
    matches = pristine.count(mutation.original)
    if matches != 1:
        mutation.outcome = "error"
        mutation.detail = f"stale entry: the original snippet occurs {matches} times in {mutation.file}"
        return
    log = gate.log_dir / f"{mutation.name}.log"
    try:
        target.write_text(pristine.replace(mutation.original, mutation.replacement))
        code, mutation.seconds = run_tests(gate, mutation.tests, log)
    finally:
        target.write_text(pristine)
    if code == 1:
        mutation.outcome, mutation.detail = "killed", tail(log, 1)
    elif code is None:
        mutation.outcome, mutation.detail = "killed", f"timeout after {TIMEOUT_SECONDS} s"
    elif code == 0:
        mutation.outcome, mutation.detail = "survived", f"its tests pass; see {log}"
    else:  # 2 interrupted/collection error, 3 internal error, 4 usage, 5 nothing collected
        mutation.outcome, mutation.detail = "error", f"pytest exit {code}; see {log}: {tail(log)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", dest="keyword", help="only mutations whose name contains this")
    parser.add_argument("--ci", action="store_true",
                        help="only the fast subset (entries with ci = true): what CI runs within its time budget")
    parser.add_argument("--list", action="store_true", help="list the mutations and their tests, run nothing")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run of all listed tests")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copy and logs")
    parser.add_argument("--file", type=Path, default=MUTATIONS, help="another list (to try new entries)")
    args = parser.parse_args(argv)

    mutations = [m for m in load(args.file)
                 if (not args.keyword or args.keyword in m.name) and (not args.ci or m.ci)]
    if not mutations:
        print(f"no mutation matches {args.keyword!r}{' in the --ci subset' if args.ci else ''}")
        return 2
    if args.list:
        for m in mutations:
            print(f"{m.name}{'  [pending]' if m.pending else ''}{'  [ci]' if m.ci else ''}\n  {m.mechanism}\n  {m.file}\n  "
                  + "\n  ".join(m.tests))
        return 0

    before = tree_fingerprint(ROOT)
    workdir = Path(tempfile.mkdtemp(prefix="mutate-"))
    copy, log_dir = workdir / "tree", workdir / "logs"
    log_dir.mkdir()
    started = time.monotonic()
    try:
        make_copy(ROOT, copy)
        gate = Gate(mutations, copy, copy_env(copy), log_dir)
        check_imports_copy(copy, gate.env)
        collected, runnable = collected_ids(gate), []
        for m in mutations:
            missing = missing_tests(m, collected)
            if not missing:
                runnable.append(m)
            elif m.pending:
                m.outcome, m.detail = "skipped", f"pending: {m.pending} (not there yet: {', '.join(missing)})"
            else:
                m.outcome, m.detail = "error", f"listed tests do not exist: {', '.join(missing)}"
        if runnable and not args.no_baseline and not baseline(gate, runnable):
            for m in runnable:
                m.outcome, m.detail = "error", "the unmutated baseline fails"
            runnable = []
        for m in runnable:
            print(f"{m.name} ...", end=" ", flush=True)
            run_one(gate, m)
            print(f"{m.outcome.upper()} ({m.seconds:.0f} s)", flush=True)
    finally:
        after = tree_fingerprint(ROOT)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if after != before:
        print("ERROR: the working tree changed during the run (git status/diff differ); inspect it")
        return 1

    total = time.monotonic() - started
    print(f"\n{'mutation':48} {'outcome':9} {'secs':>5}  detail")
    for m in mutations:
        print(f"{m.name:48} {m.outcome:9} {m.seconds:5.0f}  {m.detail}")
    counts = {k: sum(m.outcome == k for m in mutations) for k in ("killed", "survived", "skipped", "error")}
    print(f"\n{counts['killed']} killed, {counts['survived']} survived, {counts['skipped']} skipped (pending), "
          f"{counts['error']} errors in {total:.0f} s" + (f"; logs kept in {log_dir}" if args.keep else ""))
    if args.json:
        args.json.write_text(json.dumps([{k: getattr(m, k) for k in
                                          ("name", "mechanism", "file", "tests", "outcome", "detail", "seconds")}
                                         for m in mutations], indent=2))
    return 0 if counts["survived"] == counts["error"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
