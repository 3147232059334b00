"""A local Twilio: the REST API 2010-04-01 (accounts, messages, calls) over plain HTTP on
127.0.0.1, with Twilio's authentication, paging, validation codes, status progression, per-account
rate limits and the core's faults and request log. The official ``twilio`` client works against it
(``client.api.base_url = sb.base_url``; leave ``edge``/``region`` unset).

Python API::

    from sandbox.twilio import Sandbox

    sb = Sandbox(seed=0, requests_per_second=100.0, max_concurrent=50)   # window_seconds=1.0, realtime=False
    sb.start(host="127.0.0.1", port=0); sb.stop(); sb.reset()            # reset: empty state, same settings
    sb.base_url; sb.env() -> {"INTEGRATIONS_TWILIO_BASE_URL": base_url}
    sb.add_account(account_sid=None) -> "AC..."                         # generated when None
    sb.create_api_key(account_sid) -> {"sid": "SK...", "secret": "..."}
    sb.revoke_api_key(account_sid, key_sid)
    sb.import_message(account_sid, message) -> dict                     # a Message as the API returns it
    sb.import_call(account_sid, call) -> dict                           # a Call as the API returns it
    sb.set_message_status(account_sid, sid, status, error_code=None) -> dict
    sb.delete_message(account_sid, sid); sb.delete_call(account_sid, sid)
    sb.advance(seconds)                                                 # the clock: due statuses progress
    sb.messages(account_sid) / sb.calls(account_sid) -> list[dict]      # stored state, newest first
    sb.get_message(account_sid, sid); sb.status_callback(account_sid, sid); sb.account(account_sid)
    sb.set_rate(requests_per_second=None, max_concurrent=None)          # None: unchanged, 0: off
    sb.add_number(account_sid, number); sb.designate(number, status, error_code)
    sb.generate(account_sid=None, messages=500, calls=200, numbers=None, seed=None, days=30)
        -> {"account_sid", "key_sid", "key_secret", "numbers", "messages", "calls", ...}
    sb.requests(provider="twilio", method_id="messages.list"); sb.add_fault(r"/Messages", status=503)

Authentication (``auth``): HTTP Basic with an API key (``SK...``) and its secret, or the Account SID
and its auth token. An unknown key SID is accepted for a known account and remembered with its
first secret; wrong secret, revoked key, unknown account or another account's key -> 401 20003.

Texts sent through the API start ``queued`` and move on with the clock (``lifecycle``): sending
after 1 s, sent after 2 s (``date_sent``, price), delivered after 4 s; designated numbers end
``undelivered`` or ``failed`` with an error code (``numbers``). Tests call ``advance`` (the clock
never moves by itself unless ``realtime=True``, which the CLI's server uses).

Endpoints: ``{base}/2010-04-01/Accounts/{AccountSid}.json``, ``.../Messages.json`` (GET list, POST
send), ``.../Messages/{Sid}.json`` (GET, DELETE), ``.../Calls.json``, ``.../Calls/{Sid}.json`` (GET,
DELETE); admin under ``{base}/_sandbox/`` (``core.admin`` + ``admin``).

Modules: ``sandbox`` (the object), ``app`` (pipeline, routes), ``auth``, ``errors``, ``quota``,
``paging`` (date filters, pages), ``messages_api``, ``calls_api``, ``resources`` (rendering,
imports), ``lifecycle`` (statuses), ``numbers``, ``clock``, ``state``, ``generator``, ``admin``, ``cli``.
"""

from .quota import QuotaConfig
from .sandbox import Sandbox

__all__ = ["Sandbox", "QuotaConfig"]
