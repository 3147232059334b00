"""``integrations sandbox serve`` starts the Microsoft sandbox beside Google's and prints its settings."""

from __future__ import annotations

import ssl

import httpx
from click.testing import CliRunner

from sandbox.cli import sandbox as sandbox_group


def test_serve_prints_microsoft_settings_after_googles_and_serves_https(monkeypatch):
    seen = {}

    def probe():  # instead of serving forever: call the Microsoft sandbox while it runs
        env = seen["env"] = dict(line.split("=", 1) for line in result_lines())
        config = httpx.get(env["INTEGRATIONS_MICROSOFT_BASE_URL"] + "/common/v2.0/.well-known/openid-configuration",
                           verify=ssl.create_default_context(cafile=env["INTEGRATIONS_MICROSOFT_CA_BUNDLE"]))
        seen["status"] = config.status_code

    output: list[str] = []
    monkeypatch.setattr("sandbox.core.cli.click.echo", lambda line="": output.append(str(line)))
    monkeypatch.setattr("sandbox.core.cli.wait_forever", probe)

    def result_lines():
        return [line for line in output if "=" in line]

    result = CliRunner().invoke(sandbox_group, ["serve", "--port", "0", "--print-env", "--users", "a@x.test",
                                                "--messages", "3", "--events", "1", "--quota", "0",
                                                "--microsoft-port", "0"])
    assert result.exit_code == 0, result.output
    names = [line.split("=", 1)[0] for line in output]
    assert names[0] == "INTEGRATIONS_GOOGLE_BASE_URL" and names[3] == "INTEGRATIONS_GMAIL_QUOTA_TABLE"
    assert names[4:6] == ["INTEGRATIONS_GOOGLE_PUBSUB_TOPIC", "INTEGRATIONS_GOOGLE_PUSH_SERVICE_ACCOUNT"]
    assert names[6:10] == ["INTEGRATIONS_MICROSOFT_BASE_URL", "INTEGRATIONS_MICROSOFT_CLIENT_ID",
                          "INTEGRATIONS_MICROSOFT_CLIENT_SECRET", "INTEGRATIONS_MICROSOFT_CA_BUNDLE"]
    assert seen["env"]["INTEGRATIONS_MICROSOFT_BASE_URL"].startswith("https://127.0.0.1:")
    assert seen["status"] == 200


def test_serve_help_names_the_microsoft_port():
    result = CliRunner().invoke(sandbox_group, ["serve", "--help"])
    assert result.exit_code == 0 and "--microsoft-port" in result.output and "Example" in result.output
