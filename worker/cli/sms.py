"""`integrations sms send`: a text message from a connected Twilio account, exactly once."""

from __future__ import annotations

import asyncio

import click

from worker.cli.common import database_url, echo_json, json_option


@click.group()
def sms() -> None:
    """Text messages (SMS) through a connected Twilio account.

    \b
    Example:
      integrations sms send --connection 3d6f... --to +14155550123 --body 'See you at 3' \\
          --idempotency-key crm-activity-42
    """


@sms.command("send")
@click.option("--connection", "connection_id", required=True)
@click.option("--to", required=True, help="Recipient, E.164 (+14155550123) or a national number of the default region.")
@click.option("--body", required=True, help="The text (at most 1600 characters).")
@click.option("--from", "from_", default=None,
              help="Sender number of the account (default: the send_sms setting from_number or messaging_service_sid).")
@click.option("--idempotency-key", default=None, help="The same key never sends twice.")
@json_option
def send_command(connection_id, to, body, from_, idempotency_key, as_json) -> None:
    """Queue a text message; a bad phone number exits 2 and sends nothing.

    \b
    Example:
      integrations sms send --connection 3d6f... --to +14155550123 --from +14155550100 --body Hi
    """
    from worker.api import send_sms

    result = asyncio.run(send_sms(database_url(), connection_id, to=to, body=body, from_=from_,
                                  idempotency_key=idempotency_key))
    if as_json:
        echo_json(result)
    elif result["job_id"] is None:
        click.echo(f"already requested with this idempotency key: outbound {result['outbound_id']} ({result['status']})")
    else:
        click.echo(f"queued job {result['job_id']} (outbound {result['outbound_id']}, {result['from']} -> {result['to']})")
