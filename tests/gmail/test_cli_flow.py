"""Operators' path: a real `integrations worker` process, `sync once --wait`, `send`, `sync now`,
and a graceful stop on SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time

from click.testing import CliRunner

from tests.gmail.isolated import own_mailbox  # noqa: F401  (fixture: the worker subprocess takes every job it finds)
from worker.cli import cli
from worker.db.connect import connect
from worker.settings import get_settings


def run(*args):
    get_settings.cache_clear()
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def start_worker(log):
    """Output to a file: an undrained pipe would block a chatty worker."""
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", "worker.cli.__main__", "worker", "--concurrency", "4",
                                 "--queue", "default"], env=os.environ.copy(),
                                stdout=subprocess.DEVNULL, stderr=out, text=True)


def test_sync_once_wait_send_and_graceful_stop(own_mailbox, tmp_path):  # noqa: F811
    box = own_mailbox()
    with connect(box.url) as conn:  # the worker below serves this database alone
        assert conn.execute("select count(*) as n from integrations.connections").fetchone()["n"] == 1
    for i in range(6):
        box.add(f"invoice {i}")
    box.add("unrelated")
    worker = start_worker(tmp_path / "worker.log")
    try:
        once = run("sync", "once", "--connection", str(box.id), "--capability", "sync_inbox_once",
                   "--query", "subject:invoice", "--wait", "--json")
        assert once.exit_code == 0, once.output
        result = json.loads(once.output[once.output.index("{"):])
        assert result["job_status"] == "succeeded" and result["staged"] == 6

        sent = run("send", "--connection", str(box.id), "--to", "bob@ext.example", "--subject", "From CLI",
                   "--text", "hello", "--idempotency-key", "cli-1", "--json")
        assert sent.exit_code == 0, sent.output
        outbound_id = json.loads(sent.output)["outbound_id"]
        again = run("send", "--connection", str(box.id), "--to", "bob@ext.example", "--subject", "From CLI",
                    "--text", "hello", "--idempotency-key", "cli-1")
        assert "already requested" in again.output

        now = run("sync", "now", "--connection", str(box.id), "--capability", "sync_inbox_live", "--json")
        assert now.exit_code == 0 and json.loads(now.output)["job_id"]

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with connect(box.url) as conn:
                status = conn.execute("select status from integrations.outbound where id = %s",
                                      (outbound_id,)).fetchone()["status"]
            if status == "done" and (box.state() or {}).get("status") == "ok":
                break
            time.sleep(0.3)
        assert status == "done" and box.state()["status"] == "ok"
        assert box.sandbox.count_requests(method_id="gmail.users.messages.send") == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            code = worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
    assert code == 0, (tmp_path / "worker.log").read_text()[-3000:]


def test_bad_once_parameters_and_wrong_capability_exit_2(mailbox):
    box = mailbox()
    bad_date = run("sync", "once", "--connection", str(box.id), "--capability", "sync_inbox_once",
                   "--after", "yesterday")
    assert bad_date.exit_code == 2 and "after" in bad_date.output
    live = run("sync", "once", "--connection", str(box.id), "--capability", "sync_inbox_live")
    assert live.exit_code == 2 and "not a manual capability" in live.output
    unknown = run("sync", "now", "--connection", str(box.id), "--capability", "sync_everything")
    assert unknown.exit_code == 2 and "unknown capability" in unknown.output


def test_sync_once_params_are_validated_by_the_capabilitys_model(mailbox):
    box = mailbox()
    queued = run("sync", "once", "--connection", str(box.id), "--capability", "sync_inbox_once",
                 "--param", "max=3", "--param", "labels=INBOX", "--json")
    assert queued.exit_code == 0, queued.output
    job_id = json.loads(queued.output)["job_id"]
    with connect(box.url) as conn:
        args = conn.execute("select args from procrastinate_jobs where id = %s", (job_id,)).fetchone()["args"]
    assert args["params"]["max"] == 3 and args["params"]["labels"] == ["INBOX"]  # converted, a list of one

    bad = run("sync", "once", "--connection", str(box.id), "--capability", "sync_inbox_once",
              "--param", "max=zero", "--param", "colour=red")
    assert bad.exit_code == 2
    assert "invalid parameters for sync_inbox_once" in bad.output and "max" in bad.output and "colour" in bad.output
