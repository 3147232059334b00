"""``Sandbox``: the Twilio sandbox tests, the demo and the CLI hold -- the REST API 2010-04-01
(accounts, messages, calls) over plain HTTP, on the core ``BaseSandbox`` (server, log, faults,
quota), with every change a test needs as a plain method (the admin HTTP API calls these).

Resources go in and come out exactly as the API renders them (dicts with RFC 2822 dates).
"""

from __future__ import annotations

from ..core.admin import AdminApi
from ..core.sandbox import BaseSandbox
from ..core.webhooks import Webhooks
from . import lifecycle, numbers
from . import webhooks as hooks
from .admin import twilio_admin_routes
from .app import TwilioApp
from .clock import Clock
from .quota import QuotaConfig, TwilioQuota
from .resources import complete_call, complete_message
from .state import Record, World


class Sandbox(BaseSandbox):
    generated: dict | None = None  # what the last generate() made (the CLI's banner prints it)

    def __init__(self, seed: int = 0, requests_per_second: float | None = 100.0, max_concurrent: int | None = 50,
                 window_seconds: float = 1.0, realtime: bool = False) -> None:
        self.realtime = realtime
        self.webhooks = Webhooks()
        super().__init__(seed, TwilioQuota(QuotaConfig(requests_per_second, window_seconds, max_concurrent)))

    # -- core seams ----------------------------------------------------------------------------
    def new_world(self) -> World:
        return World(self.seed, Clock(self.realtime))

    def new_app(self, admin: AdminApi) -> TwilioApp:
        return TwilioApp(self.world, self.quota, self.faults, self.log, admin)

    def admin_routes(self) -> list[tuple]:
        return twilio_admin_routes(self)

    def env(self) -> dict[str, str]:
        return {"INTEGRATIONS_TWILIO_BASE_URL": self.base_url}

    def reset(self) -> None:
        self.webhooks.reset()
        super().reset()

    # -- webhooks to the app's public URL (misbehave, hold/release: self.webhooks) ---------------
    def set_public_url(self, url: str | None) -> None:
        """From now on every imported message (inbound: the incoming-message webhook; outbound: its
        status callback), status change and imported call is POSTed to ``url + /webhooks/twilio``,
        signed with the account's auth token (None: stop)."""
        self.webhooks.set_public_url(url)

    def auth_token(self, account_sid: str) -> str:
        """The account's auth token (what signs its webhooks; the console shows it to the owner)."""
        with self.world.lock:
            return self.world.account(account_sid).auth_token

    def _emit(self, account_sid: str, params: dict) -> None:
        if self.webhooks.public_url is None:
            return
        token, url = self.auth_token(account_sid), self.webhooks.public_url + hooks.PATH

        def sign(body: bytes, attempt: int) -> dict:
            return {"Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": hooks.sign(token, url, body)}

        self.webhooks.emit(hooks.PATH, hooks.encode(params), sign, "X-Twilio-Signature")

    # -- accounts, keys, numbers ---------------------------------------------------------------
    def add_account(self, account_sid: str | None = None, friendly_name: str | None = None) -> str:
        """The account ``account_sid`` (an ``AC...`` SID generated when None), created when new."""
        return self.world.ensure_account(account_sid, friendly_name).sid

    def account(self, account_sid: str) -> dict:
        """The Account resource as ``GET /2010-04-01/Accounts/{sid}.json`` returns it."""
        with self.world.lock:
            return self.world.account(account_sid).resource()

    def create_api_key(self, account_sid: str, friendly_name: str = "") -> dict:
        """A new API key of the account (created when unknown): ``{"sid": "SK...", "secret": ...}``."""
        key = self.world.new_key(account_sid, friendly_name)
        return {"sid": key.sid, "secret": key.secret}

    def revoke_api_key(self, account_sid: str, key_sid: str) -> None:
        """Every later request with this key answers 401 20003, whatever its secret."""
        self.world.revoke_key(account_sid, key_sid)

    def add_number(self, account_sid: str, number: str) -> None:
        """Make ``number`` one of the account's own. An account that owns numbers sends only from
        them (another From answers 21606); one that owns none accepts any well-formed From."""
        if not numbers.is_phone(number):
            raise ValueError(f"not an E.164 number: {number!r}")
        with self.world.lock:
            self.world.ensure_account(account_sid).numbers.add(number)

    def designate(self, number: str, status: str, error_code: int) -> None:
        """Texts sent to ``number`` from now on end ``status`` ("undelivered" or "failed") with ``error_code``."""
        if status not in ("undelivered", "failed"):
            raise ValueError("a designated number ends 'undelivered' or 'failed'")
        with self.world.lock:
            self.world.designated[number] = (status, int(error_code))

    # -- messages ------------------------------------------------------------------------------
    def import_message(self, account_sid: str, message: dict) -> dict:
        """Store a Message as the API returns it (the account is created when unknown); missing
        fields are filled (``resources.complete_message``), a given ``sid`` is kept (replacing the
        message with that SID). Imported messages keep their status until told otherwise."""
        with self.world.lock:
            account = self.world.ensure_account(account_sid)
            sid = message.get("sid") or self.world.new_sid("SM")
            data = complete_message(account.sid, message, sid, self.world.clock.now())
            account.pending.discard(sid)
            account.messages[sid] = Record(data, self.world.next_seq(), "date_sent")
            data = dict(data)
        self._emit(account_sid, hooks.message_params(data))
        return data

    def get_message(self, account_sid: str, sid: str) -> dict:
        with self.world.lock:
            account = self.world.account(account_sid)
            self.world.settle(account)
            return dict(account.messages[sid].data)

    def messages(self, account_sid: str) -> list[dict]:
        """Every stored message of the account, newest first (statuses settled to the clock)."""
        with self.world.lock:
            account = self.world.account(account_sid)
            self.world.settle(account)
            return [dict(r.data) for r in self.world.newest_first(account.messages.values())]

    def status_callback(self, account_sid: str, sid: str) -> str | None:
        """The ``StatusCallback`` URL the message was created with (not delivered yet)."""
        with self.world.lock:
            return self.world.account(account_sid).messages[sid].status_callback

    def set_message_status(self, account_sid: str, sid: str, status: str, error_code: int | None = None) -> dict:
        """Move the message to ``status`` now (its pending steps dropped); ``date_sent`` and the
        price are set when it counts as sent, ``error_code`` with its message when given."""
        with self.world.lock:
            account = self.world.account(account_sid)
            self.world.settle(account)
            record = account.messages[sid]
            record.steps.clear()
            account.pending.discard(sid)
            lifecycle.apply(record.data, status, error_code, self.world.clock.now(),
                            account.service_sender(record.data.get("messaging_service_sid")))
            record.refresh()
            data = dict(record.data)
        self._emit(account_sid, hooks.message_params(data))
        return data

    def delete_message(self, account_sid: str, sid: str) -> None:
        """Delete as the owner would in the console: later fetches answer 404 20404."""
        with self.world.lock:
            account = self.world.account(account_sid)
            del account.messages[sid]
            account.pending.discard(sid)

    # -- calls ---------------------------------------------------------------------------------
    def import_call(self, account_sid: str, call: dict) -> dict:
        """Store a Call as the API returns it (the account is created when unknown; missing fields
        filled by ``resources.complete_call``; a given ``sid`` is kept)."""
        with self.world.lock:
            account = self.world.ensure_account(account_sid)
            sid = call.get("sid") or self.world.new_sid("CA")
            data = complete_call(account.sid, call, sid, self.world.clock.now())
            account.calls[sid] = Record(data, self.world.next_seq(), "start_time")
            data = dict(data)
        self._emit(account_sid, hooks.call_params(data))
        return data

    def calls(self, account_sid: str) -> list[dict]:
        """Every stored call of the account, newest first."""
        with self.world.lock:
            account = self.world.account(account_sid)
            return [dict(r.data) for r in self.world.newest_first(account.calls.values())]

    def delete_call(self, account_sid: str, sid: str) -> None:
        with self.world.lock:
            del self.world.account(account_sid).calls[sid]

    # -- clock and limits ----------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the sandbox clock on: later dates are that much later, and status steps now due apply."""
        with self.world.lock:
            self.world.clock.advance(seconds)

    def set_rate(self, requests_per_second: float | None = None, max_concurrent: int | None = None,
                 window_seconds: float | None = None) -> QuotaConfig:
        """Change the per-account limits; None leaves a setting as it is, 0 turns it off."""
        changes = {"requests_per_second": requests_per_second, "max_concurrent_per_user": max_concurrent,
                   "window_seconds": window_seconds}
        return self.set_quota(**{k: v for k, v in changes.items() if v is not None})

    # -- generated data ------------------------------------------------------------------------
    def generate(self, account_sid: str | None = None, messages: int = 500, calls: int = 200,
                 numbers: list[str] | None = None, seed: int | None = None, days: float = 30.0) -> dict:
        from .generator import populate

        self.generated = populate(self, account_sid, messages, calls, numbers,
                                  self.seed if seed is None else seed, days)
        return self.generated
