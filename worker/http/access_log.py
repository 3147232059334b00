"""`serve -v`'s access log without the secrets that travel in query strings.

OAuth callbacks carry `code` and `state`, connect links a session id, Graph's handshake a
`validationToken`, and a webhook URL may carry a provider's token: on `/oauth/`, `/connect/` and
`/webhooks/` the query string is logged as `?[redacted]`. Elsewhere (`/status?tenant=`) it stays.
"""

from __future__ import annotations

import logging

SECRET_QUERY_PREFIXES = ("/oauth/", "/connect/", "/webhooks/")
REDACTED = "[redacted]"


def redact(path: str) -> str:
    """`path?query` with the query replaced where it may hold a secret."""
    route, mark, _ = path.partition("?")
    if mark and route.startswith(SECRET_QUERY_PREFIXES):
        return f"{route}?{REDACTED}"
    return path


class RedactQueries(logging.Filter):
    """For uvicorn's access logger: its record's args are (client, method, path?query, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact(args[2]), *args[3:])
        return True


def install() -> None:
    logging.getLogger("uvicorn.access").addFilter(RedactQueries())
