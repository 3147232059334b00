"""Logging for the long-running commands: text (default) or, with INTEGRATIONS_LOG_FORMAT=json,
one JSON object a line that a log store can search by connection, capability, provider and job.

The fields come from the job's context (worker/observe/context.py), never from the message.
Nothing here formats a credential: the code never logs one. As a second line of defence, the
values of OAuth and API parameters that a library may print in a URL or a body (`code=`,
`access_token=`, `client_secret=`, a `Bearer` header...) are masked in every line, text or JSON.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone

from worker.observe.context import FIELDS, current, fields_of_job

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_SECRET = re.compile(
    r"(?i)\b((?:access_token|refresh_token|id_token|client_secret|code|code_verifier|token|password|"
    r"api_key|apikey|key_secret|signature|sig)=)[^&\s\"']+"
    r"|\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def scrub(text: str) -> str:
    """`text` with the values of secret-bearing parameters and authorization headers masked."""
    return _SECRET.sub(lambda m: (m.group(1) or m.group(2) + " ") + "***", text)


class ContextFilter(logging.Filter):
    """Adds the job's fields to every record (as attributes), for either format."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = current()
        job = getattr(record, "job", None)  # procrastinate's own lines carry the job as `extra`
        if isinstance(job, dict):
            fields = {**fields_of_job(job.get("task_name") or "", job.get("id"), job.get("task_kwargs") or {}), **fields}
        for name, value in fields.items():
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, the job's fields, the exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": scrub(record.getMessage())}
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = str(value)
        if record.exc_info:
            entry["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: int, log_format: str | None = None) -> None:
    """The root logger's one handler on stderr, in the configured format (text unless json)."""
    if log_format is None:
        from worker.settings import get_settings

        log_format = get_settings().log_format
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
