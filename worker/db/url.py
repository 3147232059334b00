"""Which database a command talks to, and how to show its URL without leaking the password."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit, urlunsplit

from worker.settings import Settings


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    from worker.db.embedded import ensure_embedded

    return ensure_embedded(settings.pg_dir)


def mask_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None or parts.password == "":
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def describe_server(url: str) -> str:
    """`host:port` (or the socket directory) of a URL, for error messages."""
    parts = urlsplit(url)
    host = parts.hostname or parse_qs(parts.query).get("host", ["localhost"])[0]
    port = parts.port or parse_qs(parts.query).get("port", ["5432"])[0]
    return f"{host}:{port}"
