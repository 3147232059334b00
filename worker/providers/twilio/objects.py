"""Turning SIDs into what is staged: each object as Twilio holds it now, or a tombstone."""

from __future__ import annotations

from worker.providers.twilio.api import Resource, TwilioApi
from worker.providers.twilio.client.errors import NotFound, TwilioError
from worker.store.staging import RawObject
from worker.sync.errors import Reauth, Transient


def tombstone(sid: str) -> RawObject:
    return RawObject(sid, {"sid": sid}, is_deleted=True)


async def read_again(api: TwilioApi, resource: Resource, sids: list[str]) -> tuple[list[RawObject], list]:
    """Each SID as Twilio holds it now, a tombstone when it is gone (404); (objects, item failures)."""
    objects, failures = [], []
    for sid in sids:
        try:
            objects.append(RawObject(sid, await api.fetch(resource, sid)))
        except NotFound:
            objects.append(tombstone(sid))
        except (Transient, Reauth):
            raise
        except TwilioError as error:
            failures.append((sid, error.describe()))
    return objects, failures
