"""Clients for the Twilio sandbox tests: the official ``twilio`` library (a client we did not
write) and plain httpx for what the library never sends (date-only filters, raw pages)."""

from __future__ import annotations

import httpx
import pytest
from twilio.rest import Client

BASE = "/2010-04-01/Accounts"


@pytest.fixture
def twilio_client(twilio_sandbox, twilio_account):
    """``twilio_client(key_sid=..., key_secret=..., account_sid=...)``: the official client pointed
    at the sandbox (``api.base_url``; edge and region left unset), the fresh account's key by default."""

    def make(key_sid: str | None = None, key_secret: str | None = None, account_sid: str | None = None) -> Client:
        client = Client(key_sid or twilio_account["key_sid"], key_secret or twilio_account["key_secret"],
                        account_sid=account_sid or twilio_account["account_sid"])
        client.api.base_url = twilio_sandbox.base_url
        return client

    return make


@pytest.fixture
def http(twilio_sandbox, twilio_account):
    """httpx with the fresh account's key, ``base_url`` = ``{sandbox}/2010-04-01/Accounts/{AC}``."""
    with httpx.Client(base_url=f"{twilio_sandbox.base_url}{BASE}/{twilio_account['account_sid']}",
                      auth=(twilio_account["key_sid"], twilio_account["key_secret"]), timeout=10) as client:
        yield client


@pytest.fixture
def account_url(twilio_sandbox, twilio_account) -> str:
    """The fresh account's resource: ``{sandbox}/2010-04-01/Accounts/{AC}.json``."""
    return f"{twilio_sandbox.base_url}{BASE}/{twilio_account['account_sid']}.json"
