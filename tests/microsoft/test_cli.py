"""The CLI on a Microsoft connection: `status` per folder stream with the remedy, `sync once --param`."""

import asyncio
import json

import pytest
from click.testing import CliRunner

from tests.microsoft.conftest import drain
from worker.cli import cli
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


async def run(*args, code=0):
    get_settings.cache_clear()
    result = await asyncio.to_thread(CliRunner().invoke, cli, list(args))
    assert result.exit_code == code, result.output
    return result.output


async def test_status_shows_the_folder_streams_and_a_failing_one_with_its_reason(outlook):
    box = outlook(capabilities={"sync_inbox_live": {"folders": ["inbox", "no-such-folder"]}, "send_email": None})
    box.add("one")
    await box.run_live()
    [entry] = json.loads(await run("status", "--connection", str(box.id), "--json"))
    assert entry["provider"] == "microsoft"
    caps = {(c["capability"], c["stream"]): c for c in entry["capabilities"]}
    assert caps[("sync_inbox_live", "inbox")]["status"] == "ok"
    missing = caps[("sync_inbox_live", "no-such-folder")]
    assert missing["status"] == "failing" and "404" in missing["last_error"] and "retrying" in missing["remedy"]
    live = caps[("sync_inbox_live", None)]  # the capability's own row names the failing folder
    assert live["status"] == "failing" and "no-such-folder" in live["last_error"] and live["staged_records"] >= 1
    assert caps[("send_email", None)]["status"] == "ready"
    text = await run("status", "--connection", str(box.id))
    assert "sync_inbox_live" in text and "no-such-folder" in text


async def test_sync_once_with_params_stages_one_folder_up_to_a_maximum(outlook):
    box = outlook()
    [box.add(f"m{i}") for i in range(5)]
    box.add("sent", folder="sentitems")
    out = await run("sync", "once", "--connection", str(box.id), "--capability", "sync_inbox_once",
                    "--param", "folder=inbox", "--param", "max=3", "--json")
    run_id = json.loads(out)["run_id"]
    await drain(box.url)
    heads = box.heads()
    assert len(heads) == 3 and all(h["payload"]["subject"].startswith("m") for h in heads.values())
    progress = box.states("sync_inbox_once")[f"run:{run_id}"]["cursor"]
    assert progress["done"] is True and progress["listed"] == 3
    await run("sync", "once", "--connection", str(box.id), "--capability", "sync_inbox_once",
              "--param", "folder=in/box", code=2)
