"""Who may call ``/2010-04-01/Accounts/{AccountSid}/...``: HTTP Basic with an API key of that
account (``SKxxx:secret``) or the account's own SID and auth token (``ACxxx:token``).

DESIGN.md: "the sandbox accepts any API key for a Twilio account it has". So a key SID the sandbox
has never seen is taken for the account in the path and remembered with the secret it came with;
from then on it is a known key:

    known account?                      no  -> 401 20003
    key known?                          no  -> remember (key, account, secret): accepted
    key of this account, not revoked,
    and this secret?                    no  -> 401 20003
"""

from __future__ import annotations

import base64
import binascii

from .errors import unauthenticated
from .state import ApiKey, World


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def authenticate(world: World, account_sid: str, header: str | None) -> str:
    """The SID that authenticated (a key's or the account's), or raise 401 20003."""
    credentials = basic_credentials(header)
    with world.lock:
        account = world.by_sid.get(account_sid)
        if credentials is None or account is None:
            raise unauthenticated()
        user, secret = credentials
        if user.startswith("AC"):
            if user == account_sid and secret == account.auth_token:
                return user
            raise unauthenticated()
        if not user.startswith("SK") or not secret:
            raise unauthenticated()
        key = world.keys.get(user)
        if key is None:
            world.keys[user] = ApiKey(user, account_sid, secret, "first seen by the sandbox")
            return user
        if key.account_sid != account_sid or key.revoked or key.secret != secret:
            raise unauthenticated()
        return user
