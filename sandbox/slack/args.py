"""A Web API call's arguments, wherever the client put them.

Slack accepts every method's arguments in the query string, a form body
(``application/x-www-form-urlencoded`` or ``multipart/form-data`` -- slack_sdk sends
``oauth.v2.access`` as multipart) or, for write methods, a JSON body; the token comes as
``Authorization: Bearer xoxb-...`` or a ``token`` argument. ``Args`` merges them (body over query) and
reads typed values the way Slack does: ``"true"``/``"1"`` booleans, integers, ts values, JSON strings.
"""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs

from ..core.tokens import bearer_token
from ..core.wire import Request
from . import ids
from .errors import SlackError


class Args(dict):
    """Argument name -> value (strings, except the values of a JSON body)."""

    @classmethod
    def of(cls, req: Request) -> "Args":
        args = cls({k: v[-1] for k, v in req.query.items() if v})
        content_type = req.headers.get("content-type", "").lower()
        if req.body:
            if content_type.startswith("application/json"):
                args.update(_json_body(req.body))
            elif content_type.startswith("multipart/form-data"):
                args.update(_multipart(req.body, req.headers["content-type"]))
            else:
                args.update({k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace"),
                                                              keep_blank_values=True).items()})
        return args

    def token(self, req: Request) -> str | None:
        return bearer_token(req.headers.get("authorization")) or self.get("token") or None

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.get(name)
        if value is None or value == "":
            return default
        return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)

    def required(self, name: str, error: str = "invalid_arguments") -> str:
        """The argument's text; Slack's ``error`` for this method when it is missing."""
        value = self.text(name)
        if value is None:
            raise SlackError(error)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).lower() in ("true", "1", "yes")

    def number(self, name: str, default: int, maximum: int | None = None) -> int:
        value = self.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments") from None
        if number <= 0:
            return default
        return min(number, maximum) if maximum is not None else number

    def ts(self, name: str) -> int | None:
        """A timestamp argument in microseconds; ``invalid_ts_<name>`` when it is not one."""
        value = self.text(name)
        if value is None:
            return None
        try:
            return ids.to_micros(value)
        except ValueError:
            raise SlackError(f"invalid_ts_{name}") from None

    def object(self, name: str):
        """A JSON argument given as an object or as a JSON string (``metadata``, ``blocks``)."""
        value = self.get(name)
        if value is None or value == "" or isinstance(value, (dict, list)):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(f"invalid_{name}") from None


def _json_body(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except ValueError:
        raise SlackError("invalid_json") from None
    if not isinstance(value, dict):
        raise SlackError("invalid_json")
    return value


def _multipart(body: bytes, content_type: str) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = part.get_payload(decode=True).decode("utf-8", "replace")
    return fields
