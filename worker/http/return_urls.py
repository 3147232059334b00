"""`return_to` against `INTEGRATIONS_ALLOWED_RETURN_URLS`: the connect flow only ever sends a
browser back to the CRM's own pages (anything else would be an open redirect).

An allowed entry is `scheme://host[:port]/path`; a URL matches it when scheme, host and port are
equal and its path is the entry's path or lies below it (`/crm` allows `/crm` and `/crm/x`, never
`/crm-evil`). URLs with credentials, backslashes or control characters never match, nor do paths
with a dot segment (`.` or `..`, percent-encoded or not): the browser resolves those, so
`/crm/../admin` or `/crm/%2e%2e/admin` would lie below `/crm` only as written.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit


def _has_dot_segment(path: str) -> bool:
    """A `.` or `..` segment, as written or once (or twice) percent-decoded."""
    for _ in range(3):
        if any(segment in (".", "..") for segment in path.split("/")):
            return True
        decoded = unquote(path)
        if decoded == path:
            return False
        path = decoded
    return True  # encoded three times over: not a URL a CRM sends


def _parts(url: str):
    if any(c in url for c in "\\\r\n\t ") or not url.isprintable():
        return None
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        return None
    if split.scheme not in ("http", "https") or not split.hostname or split.username or split.password:
        return None
    if "@" in split.netloc or _has_dot_segment(split.path):
        return None
    default = 443 if split.scheme == "https" else 80
    return split.scheme, split.hostname.lower(), port or default, split.path or "/"


def parse_allowed(spec: str) -> tuple[str, ...]:
    """The comma-separated setting; a malformed entry is a ValueError naming it."""
    entries = tuple(e.strip() for e in (spec or "").split(",") if e.strip())
    for entry in entries:
        if _parts(entry) is None or urlsplit(entry).query or urlsplit(entry).fragment:
            raise ValueError(f"not an http(s) URL without query or fragment: {entry!r}")
    return entries


def allowed(return_to: str, entries: tuple[str, ...]) -> bool:
    wanted = _parts(return_to or "")
    if wanted is None:
        return False
    for entry in entries:
        scheme, host, port, path = _parts(entry)
        if wanted[:3] != (scheme, host, port):
            continue
        base = path.rstrip("/")
        if wanted[3] == path or wanted[3] == base or wanted[3].startswith(base + "/"):
            return True
    return False
