"""``GET /v3/company/{realmId}/cdc?entities=Customer,Invoice,Payment&changedSince=<ISO>``: every
entity of the named kinds changed at or after ``changedSince`` -- created, updated (inactive
customers and voided invoices included) or deleted (as ``{"Id", "status": "Deleted", "MetaData":
{"LastUpdatedTime"}}``).

Limits, as QBO's:

- ``changedSince`` at most 30 days back (by the sandbox clock): older -> 400 ValidationFault;
  missing or unparseable, no or unknown ``entities`` -> 400 ValidationFault;
- at most 1000 objects per answer across all the entities. When more changed, QBO answers the first
  1000 and says nothing else -- no flag, no cursor: a client that gets 1000 objects must assume it
  was cut and narrow its window or fall back to the query. The sandbox keeps the 1000 oldest
  changes (by LastUpdatedTime, then entity in request order, then Id), so a client moving
  ``changedSince`` forward still makes progress.

The answer: ``{"CDCResponse": [{"QueryResponse": [{"Customer": [...], "startPosition": 1,
"maxResults": n, "totalCount": n}, {"Invoice": [...] ...}]}], "time"}`` -- one element per entity
asked, in the order asked; an entity with no changes is ``{"startPosition": 1, "maxResults": 0,
"totalCount": 0}`` without its list.
"""

from __future__ import annotations

from datetime import timedelta

from . import clock
from .errors import bad_request
from .query import ENTITIES
from .state import Realm

MAX_OBJECTS = 1000
MAX_AGE = timedelta(days=30)


def changes(realm: Realm, entity_names: str | None, changed_since: str | None, now) -> dict:
    if not entity_names:
        raise bad_request("entities is required: a comma-separated list (Customer,Invoice,Payment)")
    kinds = []
    for name in entity_names.split(","):
        kind = ENTITIES.get(name.strip().lower())
        if kind is None:
            raise bad_request(f"Invalid entity name for CDC: {name.strip()!r}")
        if kind not in kinds:
            kinds.append(kind)
    if not changed_since:
        raise bad_request("changedSince is required")
    try:
        since = clock.parse(changed_since)
    except ValueError:
        raise bad_request(f"changedSince is not a date-time: {changed_since!r}") from None
    if since < now - MAX_AGE:
        raise bad_request("changedSince must be within the last 30 days; use a query for older changes", "2030")
    found = []
    for order, kind in enumerate(kinds):
        for obj in [*realm.live[kind].values(), *realm.deleted[kind].values()]:
            updated = clock.parse(obj["MetaData"]["LastUpdatedTime"])
            if updated >= since:
                entity_id = obj["Id"]
                found.append(((updated, order, int(entity_id) if entity_id.isdigit() else 0, entity_id), kind, obj))
    found.sort(key=lambda item: item[0])
    kept = found[:MAX_OBJECTS]
    answers = []
    for kind in kinds:
        objs = [obj for _, k, obj in kept if k == kind]
        answer = {kind: objs} if objs else {}
        answer.update(startPosition=1, maxResults=len(objs), totalCount=len(objs))
        answers.append(answer)
    return {"CDCResponse": [{"QueryResponse": answers}]}
