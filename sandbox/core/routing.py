"""Routes from URI templates: ``/gmail/v1/users/{userId}/messages/{id}`` -> handler + path params.

A provider registers each method it serves once (Google from its discovery documents, others from
a hand-written table); matching prefers literal segments over parameters, so ``.../messages/send``
never reaches the ``.../messages/{id}`` route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from .wire import Request


def template_regex(template: str) -> re.Pattern:
    """``/a/{b}/c`` -> ``^/a/(?P<b>[^/]+)/c$`` (``{+b}`` is treated like ``{b}``)."""
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{"):
            name = piece[1:-1].lstrip("+")
            pattern += f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(piece)
    return re.compile(f"^{pattern}$")


@dataclass
class Route:
    http_method: str
    regex: re.Pattern
    handler: object
    spec: object = None  # what the provider knows about the method (Google: its MethodSpec)


class Router:
    def __init__(self) -> None:
        self.routes: dict[str, list[Route]] = {}

    def add(self, http_method: str, path: str | re.Pattern, handler, spec=None) -> Route:
        regex = template_regex(path) if isinstance(path, str) else path
        route = Route(http_method.upper(), regex, handler, spec)
        routes = self.routes.setdefault(route.http_method, [])
        routes.append(route)
        routes.sort(key=lambda r: r.regex.pattern.count("(?P<"))  # literal segments beat parameters
        return route

    def all(self) -> list[Route]:
        return [route for routes in self.routes.values() for route in routes]

    def match(self, req: Request) -> Route | None:
        """The route for `req`, setting ``req.path_params``; None when no route matches."""
        for route in self.routes.get(req.method, ()):
            found = route.regex.match(req.path)
            if found:
                req.path_params = {k: unquote(v) for k, v in found.groupdict().items()}
                return route
        return None
