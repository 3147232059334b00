"""The toy provider's "API": an in-memory account of things with a change log.

It behaves like a real incremental API: a full listing in pages, changes since a token, and a
token that can expire (the remedy is a full resync). A thing is a dict of fields; it may be
email-like -- `subject`, `from` (an address), `message_id` (an RFC 5322 Message-ID, with angle
brackets) and `sent_at` (ISO 8601 with a UTC offset) -- which the toy's dbt models
(tests/toy_provider/dbt/) turn into a mailbox copy of an email.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class TokenExpired(Exception):
    pass


@dataclass
class ToyAccount:
    things: dict[str, dict] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)  # ids changed, in order; a token is a position in it
    oldest_token: int = 0  # tokens before this have expired
    calls: int = 0

    def put(self, thing_id: str, **fields) -> None:
        self.things[thing_id] = {"id": thing_id, **fields}
        self.log.append(thing_id)

    def put_email(self, thing_id: str, *, subject: str, sender: str, message_id: str, sent_at: str,
                  **fields) -> None:
        """A thing that is a copy of an email (`from` is a Python keyword, hence `sender`)."""
        self.put(thing_id, subject=subject, message_id=message_id, sent_at=sent_at, **{"from": sender}, **fields)

    def delete(self, thing_id: str) -> None:
        self.things.pop(thing_id)
        self.log.append(thing_id)

    def expire_tokens(self) -> None:
        self.oldest_token = len(self.log)

    def list_page(self, page_token: str | None, size: int = 2) -> dict:
        self.calls += 1
        ids = sorted(self.things)
        start = int(page_token or 0)
        page = {"items": [self.things[i] for i in ids[start:start + size]]}
        if start + size < len(ids):
            page["next_page_token"] = str(start + size)
        else:
            page["sync_token"] = str(len(self.log))
        return page

    def changes(self, token: str) -> dict:
        self.calls += 1
        position = int(token)
        if position < self.oldest_token:
            raise TokenExpired(token)
        changed = dict.fromkeys(self.log[position:])
        return {"changes": [self.things.get(i, {"id": i, "deleted": True}) for i in changed],
                "sync_token": str(len(self.log))}


ACCOUNTS: dict[str, ToyAccount] = {}
