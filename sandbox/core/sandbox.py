"""``BaseSandbox``: what every provider's sandbox object offers tests, the demo and the CLI.

It owns the request log, the fault rules, the quota and the HTTP server, and offers the
provider-neutral changes (accounts, tokens, quota, faults, the log) as plain methods; the admin
HTTP API (``core.admin``) calls these.

Seam: a provider's ``Sandbox`` subclasses it and implements

- ``new_world()``: empty provider state with a re-entrant ``lock``, ``ensure_account(email)`` and
  ``accounts()``; rebuilt on every ``reset()``;
- ``new_tokens()``: a ``core.tokens.TokenStore`` (OAuth providers) or None;
- ``new_app(admin)``: its ``core.app.App`` subclass, given the ``AdminApi`` to answer ``/_sandbox/``;
- ``admin_routes()``: its extra admin endpoints (see ``core.admin``);
- ``env()``: the ``INTEGRATIONS_*`` settings that point the project's client at this sandbox;
- ``ssl_context()`` (optional): an ``ssl.SSLContext`` to serve HTTPS with (``core.tls``); None = http;

and adds its own mutation methods (Google: ``import_message``, ``update_event`` ...).
"""

from __future__ import annotations

import dataclasses

from .admin import AdminApi
from .app import App
from .faults import FaultRule, Faults
from .quota import Quota
from .requestlog import RequestLog
from .server import HttpServer
from .tokens import TokenStore


class BaseSandbox:
    def __init__(self, seed: int, quota: Quota) -> None:
        self.seed = seed
        self.log = RequestLog()
        self.faults = Faults(seed)
        self.quota = quota
        self._quota_defaults = dataclasses.replace(quota.config)
        self._server: HttpServer | None = None
        self._build()

    # -- provider seams ------------------------------------------------------------------------
    def new_world(self):
        raise NotImplementedError

    def new_tokens(self) -> TokenStore | None:
        return None

    def new_app(self, admin: AdminApi) -> App:
        raise NotImplementedError

    def admin_routes(self) -> list[tuple]:
        return []

    def env(self) -> dict[str, str]:
        raise NotImplementedError

    def ssl_context(self):
        return None

    def _build(self) -> None:
        self.world = self.new_world()
        self.tokens = self.new_tokens()
        self.app = self.new_app(AdminApi(self, self.admin_routes()))
        if self._server is not None:
            self._server.app = self.app

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0):
        self._server = HttpServer(self.app, host, port, self.ssl_context())
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self):
        return self if self._server else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started; call start() first")
        host, port = self._server.address
        return f"{self._server.scheme}://{host}:{port}"

    def reset(self) -> None:
        """Empty state, faults, log and quota spending; restore construction-time settings."""
        self.faults.reset(self.seed)
        self.quota.reset(dataclasses.replace(self._quota_defaults))
        self.log.clear()
        self._build()

    # -- accounts and OAuth ------------------------------------------------------------------
    def add_account(self, email: str) -> str:
        self.world.ensure_account(email)
        return email.lower()

    def accounts(self) -> list[str]:
        return self.world.accounts()

    def _token_store(self) -> TokenStore:
        if self.tokens is None:
            raise ValueError(f"{type(self).__name__} has no OAuth tokens")
        return self.tokens

    def issue_tokens(self, email: str, scopes, offline: bool = True) -> dict:
        """Skip the consent screen: tokens for ``email`` as if it had just consented."""
        with self.world.lock:
            self.world.ensure_account(email.lower())
            return self._token_store().issue(email.lower(), scopes, offline)

    def revoke_refresh_tokens(self, email: str | None = None, refresh_token: str | None = None) -> int:
        with self.world.lock:
            return self._token_store().revoke_account(email.lower() if email else None, refresh_token)

    def expire_access_tokens(self, email: str | None = None) -> int:
        with self.world.lock:
            return self._token_store().expire_access_tokens(email.lower() if email else None)

    def set_access_token_lifetime(self, seconds: float) -> None:
        self._token_store().access_token_lifetime = seconds

    def consent_as(self, email: str | None) -> None:
        """Every later consent is given as `email` whatever the login hint (None: the hint again)."""
        self._token_store().consent_as = email.lower() if email else None

    def show_consent_page(self, on: bool = True) -> None:
        """Authorization asks a person first: a page with Allow and Cancel (core/consent.py)."""
        self._token_store().consent_page = bool(on)

    # -- quota, faults, log ------------------------------------------------------------------
    def set_quota(self, **settings):
        """Change any field of the provider's quota config; spending so far is kept."""
        names = {f.name for f in dataclasses.fields(self.quota.config)}
        for key, value in settings.items():
            if key not in names:
                raise ValueError(f"unknown quota setting {key!r}")
            setattr(self.quota.config, key, value)
        return self.quota.config

    def add_fault(self, path: str, kind: str = "status", **options) -> dict:
        return self.faults.add(FaultRule(path=path, kind=kind, **options)).as_dict()

    def clear_faults(self) -> None:
        self.faults.clear()

    def wait_held(self, fault_id: int, count: int = 1, timeout: float = 30.0) -> bool:
        """Wait until the ``hold`` (or ``hold_answer``) fault `fault_id` holds `count` requests (True),
        or `timeout` (False)."""
        return self.faults.get(fault_id).wait_held(count, timeout)

    def release(self, fault_id: int) -> None:
        """Let the requests held by the ``hold`` (or ``hold_answer``) fault `fault_id` (and later ones it catches) go on."""
        self.faults.get(fault_id).release()

    def requests(self, **filters) -> list[dict]:
        """Logged API calls; filters: ``path`` (regex), ``method``, ``method_id``, ``user``,
        ``status``, ``in_batch``, ``since`` (a ``seq``)."""
        return self.log.entries(**filters)

    def count_requests(self, **filters) -> int:
        return self.log.count(**filters)

    def clear_requests(self) -> None:
        self.log.clear()
