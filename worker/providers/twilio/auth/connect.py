"""Connecting a Twilio account: check the API key against the account, then store it encrypted.

There is no consent page (`on_url` is never called): the key SID comes from `--api-key`, its
secret from standard input. Before anything is written the key reads one page of one object of
each resource the capabilities use (`Messages.json`, `Calls.json`, `PageSize=1`) — a refused key
(401 / 20003, or 403: a restricted key without that permission) is bad input, exit 2, and nothing
is stored — and the secret is never printed, logged or put in an error. Not the Account resource:
a Standard key, the kind an integration is given, may not read `/Accounts` (only Main keys may).
A second connect of the same account in the tenant stores the new key on the existing connection
(and enables the capabilities given), makes it `active` again, and queues the sends that waited
for it; the key is checked for every capability the connection then has.
"""

from __future__ import annotations

import asyncio
import re
from typing import Callable

import httpx

from worker.connections import create_connection, enable_capability, get_connection, set_status, store_credentials
from worker.crypto import Keyring
from worker.db.connect import session
from worker.errors import BadInput, IntegrationsError
from worker.providers.twilio.api import CALLS, MESSAGES, Resource, TwilioApi
from worker.providers.twilio.auth.key import GivenKey
from worker.providers.twilio.capabilities import API_KEY, SEND_SMS, SYNC_CALLS_LIVE, SYNC_SMS_LIVE
from worker.providers.twilio.client.errors import AccessDenied, NotFound, TwilioError, Unauthorized
from worker.providers.twilio.context import open_client
from worker.providers.twilio.settings import twilio_settings
from worker.settings import Settings
from worker.store import query
from worker.sync.actions import resume_waiting_sends

PROVIDER = "twilio"
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}$")


def _owner(tenant_id, account: str) -> dict:
    return {"tenant_id": tenant_id, "profile_id": None, "provider": PROVIDER, "account_id": account}


def _apply_request(conn, *, tenant_id, account: str, capabilities: dict[str, dict | None]) -> dict:
    existing = conn.execute(query("connections.find_owner_account"), _owner(tenant_id, account)).fetchone()
    if existing is None:
        return create_connection(conn, tenant_id=tenant_id, profile_id=None, provider=PROVIDER,
                                 account_id=account, capabilities=capabilities)
    for name, raw in capabilities.items():
        enable_capability(conn, existing["id"], name, raw)
    return get_connection(conn, existing["id"])


def needed(capabilities) -> list[Resource]:
    """The resources the capabilities read: texts for the SMS sync and for a send's lookup."""
    wanted = [MESSAGES] if {SYNC_SMS_LIVE, SEND_SMS} & set(capabilities) or not capabilities else []
    return wanted + ([CALLS] if SYNC_CALLS_LIVE in capabilities else [])


async def check_key(account: str, key_sid: str, secret: str, resources: list[Resource]) -> None:
    """One page of each resource with this key; BadInput when Twilio refuses the key."""
    tw = twilio_settings()
    async with httpx.AsyncClient(timeout=tw.http_timeout_seconds) as http:
        api = TwilioApi(open_client(http, tw, account, GivenKey(key_sid, secret)), account)
        for resource in resources:
            try:
                await api.list_page(resource, page_size=1)
            except (Unauthorized, NotFound) as error:
                raise BadInput(f"Twilio refused API key {key_sid} for account {account} ({_code(error)}): check the key"
                               " SID, its secret and the account SID; nothing was stored") from None
            except AccessDenied as error:
                raise BadInput(f"API key {key_sid} may not read {resource.path} of account {account} ({_code(error)}):"
                               " give it that permission or connect another key; nothing was stored") from None
            except TwilioError as error:
                raise IntegrationsError(f"could not check the API key: {error.describe()}; nothing was stored") from None
            except httpx.HTTPError as error:
                raise IntegrationsError(f"could not reach Twilio at {tw.base_url} ({type(error).__name__});"
                                        " nothing was stored") from None


def _code(error: TwilioError) -> str:
    return f"{error.status}{f', error {error.code}' if error.code else ''}"


def connect_twilio(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                   account: str | None, capabilities: dict[str, dict | None], on_url: Callable[[str], None] | None = None,
                   timeout: float = 300.0, api_key: str | None = None, api_secret: str | None = None) -> dict:
    if profile_id is not None:
        raise BadInput("--profile is refused: Twilio accounts belong to the tenant, not to a user")
    account = (account or "").strip()
    key_sid = (api_key or "").strip()
    if not ACCOUNT_SID.match(account):
        raise BadInput(f"--account must be a Twilio Account SID (AC followed by 32 hex digits), got {account!r}")
    if not KEY_SID.match(key_sid):
        raise BadInput(f"--api-key must be an API key SID (SK followed by 32 hex digits), got {key_sid!r}")
    if not api_secret:
        raise BadInput("the API key secret is read from standard input and was empty")
    with session(database_url) as conn:
        with conn.transaction(force_rollback=True):  # validation only: nothing is kept before the check
            enabled = _apply_request(conn, tenant_id=tenant_id, account=account, capabilities=capabilities)["capabilities"]

    asyncio.run(check_key(account, key_sid, api_secret, needed(enabled)))
    with session(database_url) as conn:
        row = _apply_request(conn, tenant_id=tenant_id, account=account, capabilities=capabilities)
        store_credentials(conn, keyring, row["id"], {"account_sid": account, "api_key": key_sid,
                                                     "api_secret": api_secret}, granted_scopes=[API_KEY])
        set_status(conn, row["id"], "active", None)
        resume_waiting_sends(conn, row["id"], f"{PROVIDER}:send_sms", actions=("send_sms",))
        return get_connection(conn, row["id"])
