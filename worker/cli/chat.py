"""`integrations chat post`: a message (or a thread reply) in a connected chat workspace, exactly once."""

from __future__ import annotations

import asyncio

import click

from worker.cli.common import database_url, echo_json, json_option


@click.group()
def chat() -> None:
    """Post to a connected chat workspace (Slack) from the CRM.

    \b
    Example:
      integrations chat post --connection 3d6f... --channel C0123ABCD --text 'Deal won' \\
          --idempotency-key crm-activity-42
    """


@chat.command("post")
@click.option("--connection", "connection_id", required=True)
@click.option("--channel", required=True, help="Channel id (C…, G…); the app must be a member.")
@click.option("--text", required=True, help="Message text (Slack mrkdwn).")
@click.option("--thread-ts", default=None, help="Reply in the thread of this message ts.")
@click.option("--idempotency-key", default=None, help="The same key never posts twice.")
@json_option
def post(connection_id, channel, text, thread_ts, idempotency_key, as_json) -> None:
    """Queue a post; `integrations status` and the outbound row show how it ended.

    \b
    Example:
      integrations chat post --connection 3d6f... --channel C0123ABCD --text 'On it' \\
          --thread-ts 1700000000.000100 --idempotency-key crm-note-7
    """
    from worker.api import post_message

    result = asyncio.run(post_message(database_url(), connection_id, channel=channel, text=text,
                                      thread_ts=thread_ts, idempotency_key=idempotency_key))
    if as_json:
        echo_json(result)
    elif result["job_id"] is None:
        click.echo(f"already requested with this idempotency key: outbound {result['outbound_id']} ({result['status']})")
    else:
        click.echo(f"queued job {result['job_id']} (outbound {result['outbound_id']})")
