"""Local emulators of the providers the integrations space syncs, over real HTTP.

No machine here reaches a provider and nobody should test against a real account, so the demo, the
tests and the benchmarks point the project's real clients at these servers instead. The package is
its own distribution (``integrations-sandbox``, ``sandbox/pyproject.toml``) and never ships in the
``worker`` wheel; ``worker`` never imports it (its CLI loads it with importlib where installed).

- ``sandbox.core``: the provider-neutral HTTP core: transport (``server``, ``wire``), the request
  pipeline (``app``), routing, OAuth token store (``tokens``), quotas, faults, request log, the
  admin API under ``/_sandbox/`` (``admin``) and ``BaseSandbox`` (``sandbox``), foreground serving
  (``cli``).
- ``sandbox.google``: OAuth, Gmail v1 and Calendar v3 (``from sandbox.google import Sandbox``).
- ``sandbox.slack``: OAuth v2 and the Web API methods the Slack provider calls, with rate-limit
  tiers (``from sandbox.slack import Sandbox``).
- ``sandbox.twilio``: the REST API 2010-04-01, accounts, messages and calls over plain HTTP
  (``from sandbox.twilio import Sandbox``).
- ``sandbox.quickbooks``: Intuit OAuth 2 with rotating refresh tokens and the QuickBooks Online
  Accounting API v3 reads (query language, CDC) over plain HTTP (``from sandbox.quickbooks import Sandbox``).

A new provider is one subpackage ``sandbox/<provider>/`` with a ``Sandbox(BaseSandbox)`` (its state,
token store, admin routes, env), an ``App`` subclass (its routes and errors), a ``Quota`` subclass
(its limits) and a ``serve`` command added in ``sandbox.cli``: see the seams documented in
``core.sandbox``, ``core.app``, ``core.admin`` and ``core.quota``.
"""
