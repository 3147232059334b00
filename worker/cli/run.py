"""`integrations worker`: process jobs until stopped (or, with --burst, until none is ready)."""

from __future__ import annotations

import asyncio
import logging

import click

from worker.cli.common import database_url, settings


@click.command("worker")
@click.option("--concurrency", type=click.IntRange(1, 200), default=None,
              help="Jobs run at once (default INTEGRATIONS_WORKER_CONCURRENCY).")
@click.option("--burst", is_flag=True, help="Exit once no job runs and none is ready (running jobs are waited for).")
@click.option("--queue", "queues", multiple=True, help="Only these queues (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Log each job.")
@click.option("--metrics-port", type=click.IntRange(1, 65535), default=None,
              help="Serve Prometheus metrics on this port (off by default).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="Interface of the metrics port.")
def worker(concurrency, burst, queues, verbose, metrics_port, metrics_host) -> None:
    """Run a worker on the job queue; SIGINT/SIGTERM stop it gracefully.

    \b
    Example:
      integrations worker --concurrency 20
      integrations worker --burst      # drain what is ready, then exit
      integrations worker --metrics-port 9108 --metrics-host 0.0.0.0
    """
    from worker.app import open_app_async
    from worker.crypto import database_keyring
    from worker.db.connect import connect, require_schema
    from worker.observe.logs import configure_logging
    from worker.settings import WORKER_HEARTBEAT_SECONDS

    configure_logging(logging.INFO if verbose else logging.WARNING)
    cfg = settings()
    url = database_url()
    with connect(url) as conn:
        require_schema(conn)
        # every job decrypts credentials: a keyring that cannot is refused here, not in each job
        database_keyring(cfg, conn)
    concurrency = concurrency or cfg.worker_concurrency
    if metrics_port is not None:  # this process's counters and the database's families, one registry
        from prometheus_client import start_http_server

        from worker.observe.database import register_database_collector

        register_database_collector(url)
        start_http_server(metrics_port, addr=metrics_host)

    options = dict(concurrency=concurrency, queues=list(queues) or None,
                   shutdown_graceful_timeout=cfg.shutdown_timeout_seconds,
                   update_heartbeat_interval=WORKER_HEARTBEAT_SECONDS,
                   fetch_job_polling_interval=cfg.worker_fetch_interval_seconds)

    async def run() -> None:
        # a worker frozen inside a transaction loses its session (and its locks) after the idle timeout
        async with open_app_async(url, max_size=concurrency + 4,
                                  timeouts={"idle_in_transaction_session_timeout":
                                            cfg.worker_idle_in_transaction_seconds}) as app:
            if burst:  # until nothing runs and nothing is ready (worker/cli/burst.py), never aborting a job
                from worker.cli.burst import run_burst

                await run_burst(app, check_seconds=cfg.worker_fetch_interval_seconds, **options)
            else:
                await app.run_worker_async(wait=True, **options)

    asyncio.run(run())
