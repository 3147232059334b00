"""`integrations sync once|now` and `integrations send`: operators enqueue work by hand."""

from __future__ import annotations

import asyncio
import time

import click

from worker.cli.common import database_url, echo_json, json_option


@click.group()
def sync() -> None:
    """Run a capability by hand.

    \b
    Example:
      integrations sync once --connection 3d6f... --capability sync_inbox_once --query 'from:bob' --wait
      integrations sync now --connection 3d6f... --capability sync_inbox_live
    """


def _non_empty(param, values: tuple[str, ...]) -> tuple[str, ...]:
    """An empty label would search `label:` and match nothing (or everything): refuse it."""
    if any(not value.strip() for value in values):
        raise click.BadParameter("a label cannot be empty", param=param)
    return values


@sync.command("once")
@click.option("--connection", "connection_id", required=True)
@click.option("--capability", required=True, help="sync_inbox_once or sync_calendar_once.")
@click.option("--query", default=None, help="Gmail search query.")
@click.option("--after", default=None, help="YYYY-MM-DD (Gmail).")
@click.option("--before", default=None, help="YYYY-MM-DD (Gmail).")
@click.option("--label", "labels", multiple=True, callback=lambda ctx, param, value: _non_empty(param, value),
              help="Gmail label (repeatable).")
@click.option("--max", "max_", type=int, default=None, help="At most this many messages.")
@click.option("--calendar", default=None, help="Calendar id (Calendar).")
@click.option("--from", "from_", default=None, help="Window start YYYY-MM-DD (Calendar).")
@click.option("--to", default=None, help="Window end YYYY-MM-DD (Calendar).")
@click.option("--expand-recurring", is_flag=True, help="One row per instance (Calendar).")
@click.option("--param", "raw_params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the capability's manual run (repeatable; a list parameter takes each value).")
@click.option("--wait", is_flag=True, help="Follow the job to its end with a progress bar.")
@json_option
def once_command(connection_id, capability, query, after, before, labels, max_, calendar, from_, to,
                 expand_recurring, raw_params, wait, as_json) -> None:
    """Enqueue a manual sync with parameters; prints the job id. The live cursor is not touched.

    \b
    Example:
      integrations sync once --connection 3d6f... --capability sync_inbox_once \\
          --query 'subject:invoice' --after 2026-01-01 --max 200 --wait
      integrations sync once --connection 3d6f... --capability sync_calendar_once \\
          --param from=2026-01-01 --param to=2026-02-01
    """
    from worker.api import sync_once

    flags = {"query": query, "after": after, "before": before, "labels": list(labels) or None, "max": max_,
             "calendar": calendar, "from": from_, "to": to, "expand_recurring": expand_recurring or None}
    params = {k: v for k, v in flags.items() if v is not None}
    params.update(parse_params(raw_params))
    url = database_url()
    queued = asyncio.run(sync_once(url, connection_id, capability, params))
    if not wait:
        echo_json(queued) if as_json else click.echo(f"queued job {queued['job_id']} (run {queued['run_id']})")
        return
    final = follow(url, queued, as_json)
    if as_json:
        echo_json({**queued, **final})
    if final["job_status"] != "succeeded":
        raise SystemExit(1)


def parse_params(raw: tuple[str, ...]) -> dict:
    """`name=value` pairs; a name given more than once is a list. Values stay text: the
    capability's params model converts and validates them (bad ones exit 2 with each problem)."""
    params: dict = {}
    for item in raw:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--param")
        name = name.strip().replace("-", "_") if name.strip() not in ("from",) else "from"
        if name in params:
            previous = params[name]
            params[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            params[name] = value
    return params


def follow(url: str, queued: dict, quiet: bool) -> dict:
    """Poll the job and its run row until the job ends; a bar (unless `quiet`) shows staged items."""
    import contextlib
    import io

    from worker.db.connect import connect
    from worker.store import query

    stream = f"run:{queued['run_id']}"
    job, state, cursor = {"status": "todo"}, None, {}
    bar_file = io.StringIO() if quiet else None
    with connect(url, autocommit=True) as conn, contextlib.closing(bar_file) if bar_file else contextlib.nullcontext(), \
            click.progressbar(length=1, label="syncing", show_pos=True, file=bar_file) as bar:
        while job["status"] not in ("succeeded", "failed", "cancelled", "aborted"):
            time.sleep(0.5)
            state = conn.execute(query("sync_state.run_progress"), {
                "job_id": queued["job_id"], "connection_id": queued["connection_id"],
                "capability": queued["capability"], "stream": stream}).fetchone()
            job = {"status": state["job_status"]}
            cursor = state.get("cursor") or {}
            bar.length = max(cursor.get("estimate") or 0, cursor.get("listed") or 0, 1)
            bar.update(max(0, (cursor.get("staged") or 0) - bar.pos))
    if not quiet:
        click.echo(f"job {queued['job_id']} {job['status']}: staged {cursor.get('staged', 0)} of "
                   f"{cursor.get('listed', 0)} listed"
                   + (f" — {state['last_error']}" if state and state.get("last_error") else ""))
    return {"job_status": job["status"], "staged": cursor.get("staged", 0), "listed": cursor.get("listed", 0)}


@sync.command("now")
@click.option("--connection", "connection_id", required=True)
@click.option("--capability", required=True, help="A live capability, e.g. sync_inbox_live.")
@json_option
def now_command(connection_id, capability, as_json) -> None:
    """Run a live capability now instead of at its next interval.

    \b
    Example:
      integrations sync now --connection 3d6f... --capability sync_calendar_live
    """
    from worker.api import sync_now

    result = asyncio.run(sync_now(database_url(), connection_id, capability))
    if as_json:
        echo_json(result)
    elif result["already_queued"]:
        click.echo(f"{capability} is already queued for this connection")
    else:
        click.echo(f"queued job {result['job_id']}")


@click.command("send")
@click.option("--connection", "connection_id", required=True)
@click.option("--to", "to", multiple=True, required=True, help="Recipient (repeatable).")
@click.option("--cc", multiple=True)
@click.option("--bcc", multiple=True)
@click.option("--subject", required=True)
@click.option("--text", required=True, help="Plain-text body.")
@click.option("--html", "html_file", type=click.Path(exists=True, dir_okay=False), help="HTML body from a file.")
@click.option("--attach", multiple=True, type=click.Path(exists=True, dir_okay=False), help="Attachment (repeatable).")
@click.option("--reply-to-message", default=None, help="Id of the message (Gmail or Graph) to answer in its thread.")
@click.option("--draft", is_flag=True, help="Create a draft instead of sending.")
@click.option("--idempotency-key", default=None, help="The same key never sends twice.")
@json_option
def send(connection_id, to, cc, bcc, subject, text, html_file, attach, reply_to_message, draft, idempotency_key,
         as_json) -> None:
    """Send an email (or create a draft) from a connected Gmail (google) or Outlook (microsoft) mailbox,
    exactly once.

    \b
    Example:
      integrations send --connection 3d6f... --to bob@example.com --subject Hi --text 'See you' \\
          --attach deck.pdf --idempotency-key crm-activity-42
    """
    from pathlib import Path

    from worker.api import attachment_from_file, send_email

    result = asyncio.run(send_email(
        database_url(), connection_id, to=list(to), cc=list(cc), bcc=list(bcc), subject=subject, text=text,
        html=Path(html_file).read_text() if html_file else None, attachments=[attachment_from_file(a) for a in attach],
        reply_to_message=reply_to_message, draft=draft, idempotency_key=idempotency_key))
    if as_json:
        echo_json(result)
    elif result["job_id"] is None:
        click.echo(f"already requested with this idempotency key: outbound {result['outbound_id']} ({result['status']})")
    else:
        click.echo(f"queued job {result['job_id']} (outbound {result['outbound_id']}, {result['message_id']})")
