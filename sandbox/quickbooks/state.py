"""The QuickBooks sandbox's world: companies (realms) and their entities, behind one re-entrant lock
(handlers and the Python API both hold it), with the clock that dates every change.

Ids are per realm and per entity, counting from 1 as in a new QBO company. An entity is stored
exactly as the API returns it; a deleted one moves to ``deleted`` as its tombstone (CDC reads both,
queries only the live ones). Every change sets ``MetaData.LastUpdatedTime`` to now and bumps the
``SyncToken``, as QBO does.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from . import entities
from .clock import Clock, iso

DEFAULT_REALM = "9341453050071234"
KINDS = ("Customer", "Invoice", "Payment")


@dataclass
class Realm:
    id: str
    name: str
    live: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in KINDS})
    deleted: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in KINDS})
    next_id: dict[str, int] = field(default_factory=lambda: {k: 1 for k in KINDS})

    def new_id(self, name: str) -> str:
        number = self.next_id[name]
        self.next_id[name] = number + 1
        return str(number)

    def get(self, name: str, entity_id: str) -> dict:
        """A live entity; KeyError when unknown or deleted."""
        return self.live[name][str(entity_id)]


class World:
    def __init__(self, seed: int, clock: Clock) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.rng = random.Random(f"{seed}/quickbooks")
        self.realms: dict[str, Realm] = {}
        self.ensure_realm(DEFAULT_REALM)

    # -- realms (the core's "accounts") ----------------------------------------------------------
    def ensure_realm(self, realm_id: str | None = None, name: str | None = None) -> Realm:
        with self.lock:
            realm_id = str(realm_id or self.rng.randrange(9_130_000_000_000_000, 9_341_999_999_999_999))
            if not realm_id.isdigit():
                raise ValueError(f"a realm id is a number: {realm_id!r}")
            if realm_id not in self.realms:
                self.realms[realm_id] = Realm(realm_id, name or f"Sandbox Company_US_{len(self.realms) + 1}")
            return self.realms[realm_id]

    ensure_account = ensure_realm

    def realm(self, realm_id: str) -> Realm:
        with self.lock:
            return self.realms[str(realm_id)]

    def accounts(self) -> list[str]:
        with self.lock:
            return sorted(self.realms)

    # -- entities --------------------------------------------------------------------------------
    def put(self, realm_id: str, entity: str, obj: dict) -> dict:
        """Store `obj` (completed; a given Id kept, replacing or reviving that entity)."""
        name = entities.entity_name(entity)
        with self.lock:
            realm = self.ensure_realm(realm_id)
            entity_id = str(obj.get("Id") or realm.new_id(name))
            if entity_id.isdigit() and int(entity_id) >= realm.next_id[name]:
                realm.next_id[name] = int(entity_id) + 1
            data = entities.complete(name, obj, entity_id, self.clock.now())
            realm.deleted[name].pop(entity_id, None)
            realm.live[name][entity_id] = data
            return data

    def change(self, realm_id: str, entity: str, entity_id: str, mutate) -> dict:
        """Apply ``mutate(data)`` to a live entity, then bump its SyncToken and LastUpdatedTime."""
        name = entities.entity_name(entity)
        with self.lock:
            data = self.realm(realm_id).get(name, entity_id)
            mutate(data)
            data["SyncToken"] = str(int(data.get("SyncToken", "0")) + 1)
            data.setdefault("MetaData", {})["LastUpdatedTime"] = iso(self.clock.now())
            return data

    def delete(self, realm_id: str, entity: str, entity_id: str) -> dict:
        name = entities.entity_name(entity)
        with self.lock:
            realm = self.realm(realm_id)
            del realm.live[name][str(entity_id)]
            stone = entities.tombstone(str(entity_id), self.clock.now())
            realm.deleted[name][str(entity_id)] = stone
            return stone
