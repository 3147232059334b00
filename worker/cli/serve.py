"""`integrations serve`: the web service (provider push, /healthz, the operators' /status page,
Prometheus /metrics)."""

from __future__ import annotations

import logging

import click

from worker.cli.common import database_url, settings


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Log every request.")
def serve(host, port, verbose) -> None:
    """Serve webhooks, the web connect flow, /healthz and /status until stopped (SIGINT/SIGTERM).

    Providers reach it at INTEGRATIONS_PUBLIC_URL (a reverse proxy with TLS in front); /status
    needs `Authorization: Bearer $INTEGRATIONS_ADMIN_TOKEN`; the CRM's backend creates connect
    sessions (POST /connect/sessions) with `Authorization: Bearer $INTEGRATIONS_CONNECT_TOKEN`;
    /metrics needs the admin token too when it is set.

    \b
    Example:
      INTEGRATIONS_PUBLIC_URL=https://crm.example.com INTEGRATIONS_ADMIN_TOKEN=$(openssl rand -hex 32) \\
          integrations serve --host 0.0.0.0 --port 8080
    """
    import uvicorn

    from worker.crypto import database_keyring
    from worker.db.connect import connect, require_schema
    from worker.http.access_log import install as install_access_log_redaction
    from worker.http.app import Service, create_app
    from worker.http.settings import serve_settings
    from worker.observe.logs import configure_logging

    configure_logging(logging.INFO)
    config = serve_settings()
    cfg = settings()
    url = database_url()
    with connect(url) as conn:
        require_schema(conn)
        keyring = database_keyring(cfg, conn)  # decrypts webhook secrets; a wrong key stops it here
    app = create_app(Service(config, url, keyring))
    click.echo(f"serving on http://{host}:{port} (providers reach it at {config.public_url})", err=True)
    # JSON logs: uvicorn's loggers go through ours (log_config=None) instead of its own text handlers
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="info" if verbose else "warning",
                                           access_log=verbose, server_header=False, proxy_headers=False,
                                           **({"log_config": None} if cfg.log_format == "json" else {})))
    install_access_log_redaction()  # after uvicorn's own logging config: codes and tokens never reach the log
    server.run()
