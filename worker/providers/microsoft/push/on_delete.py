"""Deleting a Microsoft connection deletes its Graph subscriptions first (their rows go with the
connection, so nothing else would): with the grant still held, `GET /subscriptions` lists this app's
subscriptions for the mailbox and those notifying our endpoint are deleted. Best effort, blocking
(connection deletion is synchronous): a failure is logged and the subscriptions expire within 3 days,
their notifications answered 404 meanwhile.
"""

from __future__ import annotations

import logging

import httpx

from worker.providers.microsoft.auth.identity import msal_app, requestable
from worker.providers.microsoft.auth.tokens import usable
from worker.providers.microsoft.push.subscriptions import public_address
from worker.providers.microsoft.settings import microsoft_settings

log = logging.getLogger("worker.providers.microsoft.push")


def delete_our_subscriptions(credentials: dict | None) -> int:
    """How many subscriptions were deleted (0 when there was nothing to do or it failed)."""
    address = public_address()
    if not credentials or address is None:
        return 0
    ms = microsoft_settings()
    try:
        token = _access_token(ms, credentials)
        deleted = 0
        with httpx.Client(base_url=ms.graph, verify=ms.tls_context(), timeout=ms.http_timeout_seconds,
                          headers={"Authorization": f"Bearer {token}"}) as graph:
            listed = graph.get("/subscriptions")
            listed.raise_for_status()
            for subscription in listed.json().get("value", []):
                if subscription.get("notificationUrl") == address:
                    answer = graph.delete(f"/subscriptions/{subscription['id']}")
                    if answer.status_code not in (204, 404):
                        answer.raise_for_status()
                    deleted += 1
        return deleted
    except Exception as error:  # noqa: BLE001 - the deletion of the connection goes on
        log.warning("Graph subscriptions of a deleted connection not deleted (%s); they expire within 3 days",
                    type(error).__name__)
        return 0


def _access_token(ms, credentials: dict) -> str:
    if usable(credentials):
        return credentials["token"]
    answer = msal_app(ms).acquire_token_by_refresh_token(credentials.get("refresh_token") or "",
                                                         scopes=requestable(credentials.get("scopes") or []))
    if "access_token" not in answer:
        raise RuntimeError("the refresh token was refused")
    return answer["access_token"]
