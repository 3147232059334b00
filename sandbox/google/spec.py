"""Google's discovery documents as the single source of the wire contract.

The sandbox serves the methods of Gmail v1 and Calendar v3 at the paths, with the parameters and
behind the scopes the discovery documents declare (copies shipped in ``discovery/``, checked against
google-api-python-client's by the conformance tests). Quota units are not in the documents; they are
Google's published per-method costs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..core.routing import template_regex

DISCOVERY_DIR = Path(__file__).parent / "discovery"
DOCUMENTS = {"gmail": "gmail.v1.json", "calendar": "calendar.v3.json"}

# Gmail's published per-user quota units per method (developers.google.com/gmail/api/reference/quota).
GMAIL_UNITS = {
    "gmail.users.getProfile": 1,
    "gmail.users.watch": 100,
    "gmail.users.stop": 50,
    "gmail.users.drafts.create": 10,
    "gmail.users.drafts.delete": 10,
    "gmail.users.drafts.get": 5,
    "gmail.users.drafts.list": 5,
    "gmail.users.drafts.send": 100,
    "gmail.users.drafts.update": 15,
    "gmail.users.history.list": 2,
    "gmail.users.labels.create": 5,
    "gmail.users.labels.delete": 5,
    "gmail.users.labels.get": 1,
    "gmail.users.labels.list": 1,
    "gmail.users.labels.patch": 5,
    "gmail.users.labels.update": 5,
    "gmail.users.messages.attachments.get": 5,
    "gmail.users.messages.batchDelete": 50,
    "gmail.users.messages.batchModify": 50,
    "gmail.users.messages.delete": 10,
    "gmail.users.messages.get": 5,
    "gmail.users.messages.import": 25,
    "gmail.users.messages.insert": 25,
    "gmail.users.messages.list": 5,
    "gmail.users.messages.modify": 5,
    "gmail.users.messages.send": 100,
    "gmail.users.messages.trash": 5,
    "gmail.users.messages.untrash": 5,
    "gmail.users.threads.get": 10,
    "gmail.users.threads.list": 10,
}
# Projects created from May 2026 pay more for these two (and get 6,000 units per user per minute).
GMAIL_UNITS_2026 = {**GMAIL_UNITS, "gmail.users.messages.get": 20, "gmail.users.messages.attachments.get": 20}
GMAIL_TABLES = {"legacy": (GMAIL_UNITS, 15000), "2026": (GMAIL_UNITS_2026, 6000)}
CALENDAR_UNITS_PER_REQUEST = 1  # Calendar counts queries, not weighted units


@dataclass(frozen=True)
class MethodSpec:
    id: str  # e.g. "gmail.users.messages.get"
    service: str  # "gmail" | "calendar"
    http_method: str
    path: str  # full path template with leading "/", e.g. "/gmail/v1/users/{userId}/profile"
    scopes: tuple[str, ...]
    returns: bool = True  # False: the method answers 204 with no body
    parameters: dict = field(hash=False, compare=False, default_factory=dict)
    regex: re.Pattern = field(hash=False, compare=False, default=None)

    @property
    def units(self) -> int:
        return self.units_in("legacy")

    def units_in(self, table: str) -> int:
        """Units per call under Gmail's quota table `table` (Calendar counts requests)."""
        if self.service == "gmail":
            return GMAIL_TABLES[table][0].get(self.id, 5)
        return CALENDAR_UNITS_PER_REQUEST


@lru_cache(maxsize=None)
def document(service: str) -> dict:
    return json.loads((DISCOVERY_DIR / DOCUMENTS[service]).read_text())


def _walk(resources: dict):
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _walk(resource.get("resources", {}))


@lru_cache(maxsize=None)
def methods(service: str) -> dict[str, MethodSpec]:
    doc = document(service)
    out = {}
    for method in _walk(doc["resources"]):
        template = "/" + doc["servicePath"] + method.get("flatPath", method["path"])
        method_id = method["id"]
        out[method_id] = MethodSpec(
            id=method_id,
            service=service,
            http_method=method["httpMethod"],
            path=template,
            scopes=tuple(method.get("scopes", ())),
            returns="response" in method,
            parameters={**doc.get("parameters", {}), **method.get("parameters", {})},
            regex=template_regex(template),
        )
    return out


def method(method_id: str) -> MethodSpec:
    service = method_id.split(".", 1)[0]
    return methods(service)[method_id]


def schemas(service: str) -> dict:
    return document(service)["schemas"]
