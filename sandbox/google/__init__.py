"""A local Google: OAuth, Gmail v1 and Calendar v3 over real HTTP, with quotas and faults.

No machine here reaches Google and nobody should test against a real mailbox, so the demo, the
tests and the benchmarks point the project's real clients at this server instead
(``INTEGRATIONS_GOOGLE_BASE_URL``). Wire formats follow Google's discovery documents.

Python API::

    from sandbox.google import Sandbox

    sb = Sandbox(seed=0, quota_units_per_window=15000, quota_window_seconds=60.0,
                 max_concurrent_per_user=10, history_retention=None, access_token_lifetime=3600)
    sb.start(host="127.0.0.1", port=0)          # background thread; sb.base_url, sb.env()
    tokens = sb.issue_tokens("ana@acme.test", ["https://www.googleapis.com/auth/gmail.readonly"])
    sb.import_message("ana@acme.test", raw_rfc2822_bytes)   # or {"raw": ...} / a Message resource
    sb.relabel(...); sb.trash_message(...); sb.delete_message(...); sb.expire_history_before(...)
    sb.import_event(...); sb.update_event(...); sb.cancel_event(...); sb.add_exception(...)
    sb.invalidate_sync_tokens(...); sb.revoke_refresh_tokens(...); sb.expire_access_tokens(...)
    sb.add_fault(r"/messages/", kind="status", status=503, count=2); sb.set_quota(units_per_window=100)
    sb.count_requests(method_id="gmail.users.messages.get"); sb.requests(user="ana@acme.test")
    sb.generate(["ana@acme.test", "ben@acme.test"], messages=200, events=50)
    sb.reset(); sb.stop()

Command line: ``integrations sandbox serve --port 8765 --print-env`` (or ``python -m sandbox
serve``). Admin HTTP endpoints under ``/_sandbox/``: ``sandbox.core.admin`` (every provider's) and
``sandbox.google.admin`` (Gmail and Calendar changes).

Modules: ``sandbox`` (the object above), ``app`` (routing, auth, scopes, quota, batch on the core
pipeline), ``oauth`` (Google's OAuth endpoints), ``spec`` + ``discovery/`` (the wire contract),
``gmail_api``/``mailbox``/``mime``/``gmail_query``, ``calendar_api``/``calendar_store``/
``recurrence``, ``generator`` (seeded data), ``errors``, ``quota``, ``scopes``, ``cli``.
"""

from ..core.faults import FaultRule
from .quota import QuotaConfig
from .sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Sandbox

__all__ = ["Sandbox", "FaultRule", "QuotaConfig", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET"]
