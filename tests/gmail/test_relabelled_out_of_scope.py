"""A staged message that leaves the synced labels (archived, spammed, trashed) is restaged with its
new labels by the incremental sync, so the CRM learns it left the inbox; a message that was never
in scope is still not staged."""

import pytest

pytestmark = pytest.mark.asyncio


async def test_staged_messages_archived_spammed_or_trashed_are_restaged_with_their_new_labels(mailbox):
    await _archive_spam_trash_then_sync(mailbox())


async def test_staged_messages_leaving_scope_are_restaged_in_full_when_label_records_are_off(mailbox):
    """The same through the full-fetch path (label records off, or a minimal answer showing more
    than labels changed): a fetched message we hold is restaged even though it is out of scope."""
    from tests.gmail.conftest import GMAIL_READONLY

    await _archive_spam_trash_then_sync(mailbox(capabilities={"sync_inbox_live": {"label_records": False}},
                                                scopes=[GMAIL_READONLY]))


async def _archive_spam_trash_then_sync(box):
    archived, spammed, trashed, kept = (box.add(name) for name in ("archived", "spammed", "trashed", "kept"))
    await box.run_live()
    box.sandbox.relabel(box.email, archived, remove=["INBOX"])
    box.sandbox.relabel(box.email, spammed, add=["SPAM"], remove=["INBOX"])
    box.sandbox.trash_message(box.email, trashed)
    never = box.add("spam on arrival", labels=("SPAM",))

    await box.run_live()

    heads = box.heads()
    labels = {i: set(heads[i]["payload"].get("labelIds") or []) for i in (archived, spammed, trashed, kept)}
    assert labels == {archived: set(), spammed: {"SPAM"}, trashed: {"TRASH"}, kept: {"INBOX"}}
    assert never not in heads
    assert box.state()["cursor"] == {"historyId": str(box.sandbox.history_id(box.email))}
