"""`integrations serve` refuses bad settings at start, naming the variable and never a secret."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from worker.cli import cli


@pytest.mark.parametrize("env, variable, message", [
    ({}, "INTEGRATIONS_PUBLIC_URL", "required"),
    ({"INTEGRATIONS_PUBLIC_URL": "crm.example.com"}, "INTEGRATIONS_PUBLIC_URL", "http"),
    ({"INTEGRATIONS_PUBLIC_URL": "https://crm.example.com/hooks"}, "INTEGRATIONS_PUBLIC_URL", "no path"),
    ({"INTEGRATIONS_PUBLIC_URL": "https://crm.example.com", "INTEGRATIONS_ADMIN_TOKEN": "short-s3cret"},
     "INTEGRATIONS_ADMIN_TOKEN", "at least 16"),
    ({"INTEGRATIONS_PUBLIC_URL": "https://crm.example.com", "INTEGRATIONS_CONNECT_TOKEN": "short-s3cret"},
     "INTEGRATIONS_CONNECT_TOKEN", "at least 16"),
])
def test_bad_settings_stop_serve_with_the_variable_named(monkeypatch, env, variable, message):
    monkeypatch.delenv("INTEGRATIONS_PUBLIC_URL", raising=False)
    monkeypatch.delenv("INTEGRATIONS_ADMIN_TOKEN", raising=False)
    monkeypatch.delenv("INTEGRATIONS_CONNECT_TOKEN", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["serve", "--port", "8999"])
    assert result.exit_code == 2
    assert variable in result.output and message in result.output
    assert "short-s3cret" not in result.output
