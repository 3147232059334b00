"""A local Microsoft 365: Entra ID sign-in (identity platform v2.0) and Graph v1.0 mail and
calendars, over real HTTPS, with Outlook's throttling, delta queries and faults.

msal refuses a non-https authority, so the sandbox serves TLS with a CA it mints at construction;
clients trust ``sandbox.ca_path``. The project's clients are pointed at it with
``INTEGRATIONS_MICROSOFT_*`` (``env()``).

Python API::

    from sandbox.microsoft import Sandbox

    sb = Sandbox(seed=0, requests_per_window=10_000, window_seconds=600, max_concurrent_per_user=4)
    sb.start()                                         # sb.base_url (https), sb.ca_path, sb.env()
    tokens = sb.issue_tokens("ana@acme.test", ["Mail.Read", "offline_access"])
    message = sb.import_message("ana@acme.test", {"subject": "Hi", ...}, folder="inbox")
    sb.move_message(...); sb.update_message(...); sb.delete_message(...); sb.expire_delta_tokens(...)
    sb.import_event(...); sb.update_event(...); sb.cancel_event(...); sb.delete_event(...)
    sb.add_fault(r"/messages", kind="status", status=503); sb.set_quota(requests_per_window=100)
    sb.requests(provider="microsoft", method_id="mail.messages.delta"); sb.generate([...])
    sb.set_public_url("http://127.0.0.1:8080")        # change notifications of /v1.0/subscriptions go there
    sb.subscriptions.subscriptions; sb.webhooks.delivered; sb.webhooks.misbehave(bad_signature=True)
    sb.lifecycle(subscription_id, "reauthorizationRequired" | "missed" | "subscriptionRemoved")
    sb.reset(); sb.stop()

Endpoints: identity under ``{base}/{tenant}/`` (``v2.0/.well-known/openid-configuration``,
``oauth2/v2.0/authorize``, ``oauth2/v2.0/token``), Graph under ``{base}/v1.0/`` (``mail_api``,
``calendar_api``, ``subscriptions``, ``$batch``), admin under ``{base}/_sandbox/`` (``core.admin`` + ``admin``).

Modules: ``sandbox`` (the object), ``app`` (pipeline, routing, batch), ``identity``, ``scopes``,
``errors``, ``quota``, ``odata`` (Prefer, $select, $filter, paging), ``delta`` (sync states),
``mail_store``/``mail_api``/``mime``, ``calendar_store``/``calendar_api``/``recurrence``,
``subscriptions`` (change notifications: URL validation, deliveries, lifecycle events), ``generator``,
``admin``, ``cli``.
"""

from .quota import QuotaConfig
from .sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, Sandbox

__all__ = ["Sandbox", "QuotaConfig", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET"]
