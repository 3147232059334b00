"""`integrations meetings create|update|cancel`: CRM → Google Calendar or Microsoft 365 (Outlook), exactly once."""

from __future__ import annotations

import asyncio

import click

from worker.cli.common import database_url, echo_json, json_option


def meeting_options(func):
    options = [
        click.option("--title", default=None),
        click.option("--description", default=None),
        click.option("--location", default=None),
        click.option("--start", default=None, help="RFC 3339 start, e.g. 2026-12-01T10:00:00+01:00."),
        click.option("--end", default=None, help="RFC 3339 end."),
        click.option("--date", "start_date", default=None, help="All-day start date YYYY-MM-DD."),
        click.option("--end-date", default=None, help="All-day end date (exclusive)."),
        click.option("--time-zone", default=None, help="IANA zone, e.g. Europe/Paris."),
        click.option("--attendee", "attendees", multiple=True, help="Attendee address (repeatable)."),
        click.option("--conference", is_flag=True,
                     help="Ask for an online meeting link (a Meet link on Google, Teams on Microsoft 365)."),
        click.option("--send-updates", type=click.Choice(["all", "externalOnly", "none"]), default=None),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def common_options(func):
    for option in reversed([
        click.option("--connection", "connection_id", required=True),
        click.option("--calendar", "calendar_id", default="primary", show_default=True),
        click.option("--idempotency-key", default=None, help="The same key never acts twice."),
        json_option,
    ]):
        func = option(func)
    return func


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        echo_json(result)
    elif result["job_id"] is None:
        click.echo(f"already requested with this idempotency key: outbound {result['outbound_id']} ({result['status']})")
    else:
        click.echo(f"queued job {result['job_id']} for event {result['event_id']} (outbound {result['outbound_id']})")


def _fields(**values) -> dict:
    values["attendees"] = list(values.get("attendees") or []) or None
    return {k: v for k, v in values.items() if v not in (None, False)}


@click.group()
def meetings() -> None:
    """Create, update and cancel calendar events from the CRM, on Google Calendar or Microsoft 365
    (Outlook) connections (needs two_way).

    \b
    Example:
      integrations meetings create --connection 3d6f... --title 'Kick-off' \\
          --start 2026-12-01T10:00:00Z --end 2026-12-01T11:00:00Z --attendee bob@example.com
    """


@meetings.command("create")
@common_options
@meeting_options
def create_command(connection_id, calendar_id, idempotency_key, as_json, **fields) -> None:
    """Create an event; a retried create never makes two.

    \b
    Example:
      integrations meetings create --connection 3d6f... --title Offsite --date 2026-12-10 --end-date 2026-12-12
    """
    from worker.api import create_meeting
    from worker.errors import BadInput

    values = _fields(**fields)
    if "title" not in values:
        raise BadInput("--title is required")
    _print(asyncio.run(create_meeting(database_url(), connection_id, calendar_id=calendar_id,
                                      idempotency_key=idempotency_key, **values)), as_json)


@meetings.command("update")
@click.argument("event_id")
@common_options
@meeting_options
def update_command(event_id, connection_id, calendar_id, idempotency_key, as_json, **fields) -> None:
    """Change an event; a change made at the provider (Google, Microsoft) meanwhile is a conflict, never
    overwritten.

    \b
    Example:
      integrations meetings update abc123 --connection 3d6f... --location 'Room 4'
    """
    from worker.api import update_meeting

    _print(asyncio.run(update_meeting(database_url(), connection_id, event_id, calendar_id=calendar_id,
                                      idempotency_key=idempotency_key, **_fields(**fields))), as_json)


@meetings.command("cancel")
@click.argument("event_id")
@common_options
@click.option("--send-updates", type=click.Choice(["all", "externalOnly", "none"]), default=None)
def cancel_command(event_id, connection_id, calendar_id, idempotency_key, as_json, send_updates) -> None:
    """Cancel an event.

    \b
    Example:
      integrations meetings cancel abc123 --connection 3d6f... --send-updates all
    """
    from worker.api import cancel_meeting

    _print(asyncio.run(cancel_meeting(database_url(), connection_id, event_id, calendar_id=calendar_id,
                                      send_updates=send_updates, idempotency_key=idempotency_key)), as_json)
