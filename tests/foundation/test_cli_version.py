"""`integrations --version` says what runs (ours, dbt-core, procrastinate, the PostgreSQL server) and
never fails; the help of the commands several providers serve names each of them."""

from importlib.metadata import version

from click.testing import CliRunner

from worker.cli import cli
from worker.db.embedded import stop_embedded
from worker.registry import all_providers
from worker.settings import get_settings


def run(*args):
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    get_settings.cache_clear()
    return result


def _package_lines_hold(output: str) -> None:
    lines = output.splitlines()
    assert f"integrations {version('worker')}" in lines, output
    assert f"dbt-core {version('dbt-core')} (dbt-postgres {version('dbt-postgres')})" in lines, output
    assert f"procrastinate {version('procrastinate')}" in lines, output


def test_version_names_the_package_dbt_procrastinate_and_the_server(settings_env, db):
    server = db.execute("select current_setting('server_version') as v").fetchone()["v"]
    result = run("--version")
    assert result.exit_code == 0, result.output
    _package_lines_hold(result.output)
    assert f"PostgreSQL {server}" in result.output, result.output


def test_version_says_unreachable_and_exits_0_when_the_database_does_not_answer(monkeypatch, tmp_path):
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", "postgresql://app:hunter2@127.0.0.1:1/crm")
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    result = run("--version")
    assert result.exit_code == 0, result.output
    _package_lines_hold(result.output)
    assert "PostgreSQL server unreachable" in result.output and "127.0.0.1:1" in result.output
    assert "hunter2" not in result.output


def test_version_never_starts_the_embedded_server(monkeypatch, tmp_path):
    monkeypatch.delenv("INTEGRATIONS_DATABASE_URL", raising=False)
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    try:
        result = run("--version")
        started = (tmp_path / "data" / "pg" / "postmaster.pid").exists()
    finally:
        stop_embedded(tmp_path / "data" / "pg")  # one the command started by mistake does not outlive the test
    assert result.exit_code == 0, result.output
    _package_lines_hold(result.output)
    assert not started, "`--version` started the embedded server"
    assert "PostgreSQL server unreachable" in result.output and "not running" in result.output


def test_version_with_an_invalid_setting_still_prints_the_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("INTEGRATIONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("INTEGRATIONS_WORKER_CONCURRENCY", "lots")
    result = run("--version")
    assert result.exit_code == 0, result.output
    _package_lines_hold(result.output)
    assert "PostgreSQL server unreachable" in result.output and "INTEGRATIONS_WORKER_CONCURRENCY" in result.output


def _help(*path: str) -> str:
    result = run(*path, "--help")
    assert result.exit_code == 0, result.output
    return result.output.lower()


def _serving(action: str) -> list[str]:
    names = [p.name for p in all_providers() if action in p.actions]
    assert len(names) > 1, f"{action}: the test expects several providers"
    return names


def test_help_of_meetings_and_send_names_every_provider_that_serves_them():
    for path, action in ((("meetings",), "create_meeting"), (("meetings", "update"), "update_meeting"),
                         (("send",), "send_email")):
        text = _help(*path)
        missing = [name for name in _serving(action) if name not in text]
        assert not missing, f"`integrations {' '.join(path)} --help` does not name {missing}"


def test_help_of_sandbox_and_demo_names_every_provider_they_emulate():
    for command in ("sandbox", "demo"):
        text = _help(command)
        missing = [p.name for p in all_providers() if p.name not in text]
        assert not missing, f"`integrations {command} --help` does not name {missing}"
