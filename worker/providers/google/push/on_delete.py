"""Deleting a Google connection stops its pushes at Google first: its rows in push_watches go with
the connection (cascade), so the periodic task could never stop them afterwards, and Google would
go on calling serve for up to 7 days (answered 404). With the grant still held: `channels.stop` for
each of its Calendar channels, and `users.stop` for its Gmail watch -- unless another connection
holds the same mailbox, because Gmail keeps one watch per mailbox and app, and that connection's
pushes need it. Best effort and blocking (deletion is synchronous): a failure is logged, and what
was not stopped expires by itself.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import httpx

from worker.providers.google.client.endpoints import GoogleEndpoints
from worker.providers.google.push.calendar_watch import CAPABILITY as CALENDAR
from worker.providers.google.push.gmail_watch import CAPABILITY as GMAIL
from worker.store import query

log = logging.getLogger("worker.providers.google.push")


def stop_pushes(conn, settings, row: dict, credentials: dict, shared: bool) -> int:
    """How many watches and channels Google confirmed stopped (or no longer knew)."""
    watches = conn.execute(query("push_watches.of_connection"), {"connection_id": row["id"]}).fetchall()
    gmail = [w for w in watches if w["capability"] == GMAIL and not shared]
    channels = [w for w in watches if w["capability"] == CALENDAR and w["channel_id"]]
    if not gmail and not channels:
        return 0
    endpoints = GoogleEndpoints.from_settings(settings)
    stopped = 0
    try:
        token = _access_token(settings, endpoints, credentials)
        with httpx.Client(timeout=settings.http_timeout_seconds,
                          headers={"Authorization": f"Bearer {token}"}) as google:
            calls = [(endpoints.gmail + "/users/me/stop", None) for _ in gmail[:1]]
            calls += [(endpoints.calendar + "/channels/stop", {"id": c["channel_id"], "resourceId": c["resource_id"]})
                      for c in channels]
            for url, body in calls:
                answer = google.post(url, json=body) if body is not None else google.post(url)
                if answer.status_code not in (200, 204, 404):
                    answer.raise_for_status()
                stopped += 1
    except Exception as error:  # noqa: BLE001 - the deletion goes on; what is left expires by itself
        log.warning("connection %s: Google pushes not stopped (%s); they expire by themselves within 7 days",
                    row["id"], type(error).__name__)
    return stopped


def _access_token(settings, endpoints: GoogleEndpoints, credentials: dict) -> str:
    """The stored access token while it has a minute left, else one from the refresh token (not
    stored: the grant is about to be revoked)."""
    expiry = credentials.get("expiry")
    if credentials.get("token") and expiry:
        at = datetime.fromisoformat(expiry)
        at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
        if at - datetime.now(timezone.utc) > timedelta(minutes=1):
            return credentials["token"]
    answer = httpx.post(endpoints.token, timeout=settings.http_timeout_seconds, data={
        "grant_type": "refresh_token", "refresh_token": credentials.get("refresh_token") or "",
        "client_id": settings.google_client_id, "client_secret": settings.google_client_secret.get_secret_value()})
    answer.raise_for_status()
    return answer.json()["access_token"]
