"""The ASGI application of `integrations serve`: routes built from the registry's webhooks.

starlette (routing, requests, responses) and uvicorn (the server) are small, well-kept and
standard for ASGI; the service needs nothing more (no ORM, no templates engine: the status page is
plain HTML built in worker/http/status_page.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
import uuid
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from worker.capabilities import Provider, PushRequest, Webhook
from worker.http.push import UnknownAccounts, receive
from worker.http.rates import AccountRates
from worker.http.settings import ServeSettings
from worker.observe.metrics import count_webhook
from worker.registry import all_providers
from worker.settings import get_settings

log = logging.getLogger("worker.http")


@dataclass
class Service:
    """What the handlers share: settings, the database, the keyring that decrypts webhook secrets."""

    settings: ServeSettings
    database_url: str
    keyring: object
    pool: object = None
    unknown: UnknownAccounts = None
    webhook_slots: WebhookSlots = None
    rates: AccountRates = None

    def __post_init__(self) -> None:
        settings = get_settings()
        self.unknown = UnknownAccounts()
        self.webhook_slots = WebhookSlots(settings.webhook_concurrency, settings.webhook_wait_seconds)
        self.rates = AccountRates(settings.webhook_account_requests_per_minute)


class WebhookSlots:
    """At most `size` webhook requests handled at once (INTEGRATIONS_WEBHOOK_CONCURRENCY); the others
    wait for a slot, not for a database connection, at most `wait_seconds`
    (INTEGRATIONS_WEBHOOK_WAIT_SECONDS) and at most MAX_WAITING of them; past either bound a request
    is answered 503 at once. Waiting on the pool instead let an unauthenticated flood hold every
    connection /healthz, the connect flow and the other webhooks need. Providers retry a 503 (Graph,
    Pub/Sub, Slack, Twilio, Intuit), and polling is the safety net."""

    MAX_WAITING = 256  # each waiter holds its body (at most INTEGRATIONS_MAX_BODY_BYTES)

    def __init__(self, size: int, wait_seconds: float) -> None:
        self.size, self.wait_seconds = size, wait_seconds
        self._free = asyncio.Semaphore(size)
        self.waiting = 0

    async def take(self) -> bool:
        """True once a slot is ours (give it back), False when none came within the bounds."""
        if not self._free.locked():
            await self._free.acquire()  # free now: returns without waiting
            return True
        if self.wait_seconds <= 0 or self.waiting >= self.MAX_WAITING:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(self._free.acquire(), self.wait_seconds)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            self.waiting -= 1

    def give_back(self) -> None:
        self._free.release()


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body (signatures cover its exact bytes), refused past `limit` without reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge()
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def public_url(service: Service, request: Request) -> str:
    """The URL the provider addressed: the configured public base (a proxy in front rewrites host
    and scheme) plus the path and query as received."""
    query = request.url.query
    return service.settings.public_url + request.url.path + (f"?{query}" if query else "")


def webhook_endpoint(service: Service, provider: Provider, webhook: Webhook):
    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request, service.settings.max_body_bytes)
        except BodyTooLarge:
            return PlainTextResponse("request body too large", status_code=413)
        push = PushRequest(url=public_url(service, request), body=body, received_at=time.time(),
                           headers={k.lower(): v for k, v in request.headers.items()})
        if not await service.webhook_slots.take():  # taken once the body is read: a slow sender holds none
            log.warning("webhook on /webhooks/%s answered 503: %d handled at once already and no slot came free"
                        " (INTEGRATIONS_WEBHOOK_CONCURRENCY, _WAIT_SECONDS)", webhook.path, service.webhook_slots.size)
            count_webhook(provider.name, 503)
            return PlainTextResponse("busy: retry later", status_code=503, headers={"Retry-After": "1"})
        try:
            outcome = await receive(service.pool, service.keyring, service.unknown, provider, webhook, push,
                                    service.rates)
        finally:
            service.webhook_slots.give_back()
        count_webhook(provider.name, outcome.status)
        # an answer may echo what the caller sent (Graph's validationToken): never sniffed as HTML
        return Response(outcome.body, status_code=outcome.status, media_type=outcome.content_type,
                        headers={**(outcome.headers or {}), "X-Content-Type-Options": "nosniff"})

    return endpoint


def admin_allowed(service: Service, request: Request) -> bool:
    """`Authorization: Bearer <INTEGRATIONS_ADMIN_TOKEN>` (constant-time compare)."""
    token = service.settings.admin_token
    given = request.headers.get("authorization", "")
    if token is None or not given.lower().startswith("bearer "):
        return False
    return hmac.compare_digest(given[7:].strip().encode(), token.get_secret_value().encode())


def create_app(service: Service) -> Starlette:
    from worker.app import open_app_async
    from worker.observe.database import register_database_collector

    register_database_collector(service.database_url)
    from worker.tasks.dispatch import bind_all

    async def healthz(request: Request) -> Response:
        try:
            async with service.pool.connection() as conn:
                await conn.execute("select 1")
        except Exception as error:
            log.warning("healthz: the database did not answer (%s)", type(error).__name__)
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics(request: Request) -> Response:
        """Prometheus text format; behind the admin token when one is set (as /status)."""
        if service.settings.admin_token is not None and not admin_allowed(service, request):
            return PlainTextResponse("admin token required (Authorization: Bearer ...)", status_code=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="integrations"'})
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

        body = await asyncio.to_thread(generate_latest, REGISTRY)  # the database families query
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})

    async def status(request: Request) -> Response:
        if service.settings.admin_token is None:
            return PlainTextResponse("the status page is off: set INTEGRATIONS_ADMIN_TOKEN", status_code=404)
        if not admin_allowed(service, request):
            return PlainTextResponse("admin token required (Authorization: Bearer ...)", status_code=401,
                                     headers={"WWW-Authenticate": 'Bearer realm="integrations"'})
        from worker.http.status_page import render_status

        tenant = request.query_params.get("tenant")
        if tenant is not None:
            try:
                tenant = str(uuid.UUID(tenant))
            except ValueError:
                return PlainTextResponse("tenant must be a UUID", status_code=400)
        html = await render_status(service.database_url, tenant)
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    from worker.http.connect import callback_endpoint
    from worker.http.connect_sessions import connect_endpoint, sessions_endpoint

    routes = [Route("/healthz", healthz, methods=["GET"]), Route("/status", status, methods=["GET"]),
              Route("/metrics", metrics, methods=["GET"]),
              Route("/connect/sessions", sessions_endpoint(service), methods=["POST"]),
              Route("/connect/{provider}", connect_endpoint(service), methods=["GET"]),
              Route("/oauth/{provider}/callback", callback_endpoint(service), methods=["GET"])]
    for provider in all_providers():
        for webhook in provider.webhooks:
            routes.append(Route(f"/webhooks/{webhook.path}", webhook_endpoint(service, provider, webhook),
                                methods=["POST"]))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        # a defer waits at most INTEGRATIONS_DEFER_LOCK_TIMEOUT_SECONDS for a lock (a frozen worker's)
        # each webhook handler holds at most two connections (a lookup, then a defer): room for all and /healthz
        async with open_app_async(service.database_url, max_size=2 * service.webhook_slots.size + 2,
                                  timeouts={"lock_timeout": get_settings().defer_lock_timeout_seconds}
                                  ) as procrastinate_app:
            bind_all()
            service.pool = procrastinate_app.connector.pool
            yield
            service.pool = None

    return Starlette(routes=routes, lifespan=lifespan)
