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
def worker(concurrency, burst, queues, verbose) -> None:
    """Run a worker on the job queue; SIGINT/SIGTERM stop it gracefully.

    \b
    Example:
      integrations worker --concurrency 20
      integrations worker --burst      # drain what is ready, then exit
    """
    from worker.app import open_app_async
    from worker.crypto import database_keyring
    from worker.db.connect import connect, require_schema
    from worker.settings import WORKER_HEARTBEAT_SECONDS

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    cfg = settings()
    url = database_url()
    with connect(url) as conn:
        require_schema(conn)
        # every job decrypts credentials: a keyring that cannot is refused here, not in each job
        database_keyring(cfg, conn)
    concurrency = concurrency or cfg.worker_concurrency

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
