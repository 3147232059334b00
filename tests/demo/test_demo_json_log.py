"""A whole demo with INTEGRATIONS_LOG_FORMAT=json and every job logged (-v): each line on stderr is
one JSON object, jobs' lines carry their fields, and nothing the demo knows that must stay secret
(tokens, refresh tokens, the Twilio key secret, the encryption key) or private (what the mail
says) is in the log. The demo runs in a subprocess: its logging setup replaces the root handlers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.demo.test_demo import SMALL, demo_db  # noqa: F401 - the fixture
from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.demo.world import DEMO_TENANT
from worker.settings import get_settings

INTEGRATIONS = Path(sys.executable).with_name("integrations")


def secrets_of_the_demo(url: str) -> set[str]:
    """Every credential value the demo's connections hold, and the encryption key."""
    keyring = keyring_from_settings(get_settings())
    found = {os.environ["INTEGRATIONS_ENCRYPTION_KEYS"].split(":", 1)[1]}
    with connect(url) as conn:
        rows = conn.execute("select * from integrations.connections where tenant_id = %s", (DEMO_TENANT,)).fetchall()
    for row in rows:
        for name, value in (load_credentials(keyring, row) or {}).items():
            if isinstance(value, str) and len(value) >= 12 and any(k in name for k in ("token", "secret", "key")):
                found.add(value)
    return found


def mail_content(url: str) -> set[str]:
    with connect(url) as conn:
        rows = conn.execute("select distinct body_text from product.emails where tenant_id = %s"
                            " and length(body_text) > 40 limit 50", (DEMO_TENANT,)).fetchall()
    return {r["body_text"].strip()[:40] for r in rows}


def test_a_whole_demo_logs_json_with_job_fields_and_no_secret(demo_db, tmp_path):  # noqa: F811 - the fixture
    env = {**os.environ, "INTEGRATIONS_LOG_FORMAT": "json"}
    run = subprocess.run([str(INTEGRATIONS), "demo", *SMALL, "-v"], env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    jobs = [e for e in entries if e.get("job_id")]
    assert len(jobs) >= 10, lines[-20:]
    assert {e.get("provider") for e in jobs} >= {"google", "microsoft", "slack", "twilio", "quickbooks"}
    syncs = [e for e in jobs if str(e.get("capability", "")).startswith("sync_")]
    unbound = [e for e in syncs if not e.get("connection_id")]  # every sync job's lines name its connection
    assert syncs and not unbound, unbound[:5]

    secrets, content = secrets_of_the_demo(demo_db), mail_content(demo_db)
    assert len(secrets) >= 10 and content, (len(secrets), len(content))
    log = run.stderr
    for secret in secrets:
        assert secret not in log, f"a credential ({secret[:4]}...) is in the demo's log"
    for text in content:
        assert text not in log, f"mail content ({text[:12]}...) is in the demo's log"
