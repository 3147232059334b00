"""`integrations worker` listing Gmail in pages of N messages, for tests that SIGKILL it between pages:

    python -m tests.gmail.small_pages_worker N worker --queue default
"""

import sys

from worker.cli import cli
from worker.providers.google.gmail.api import GmailApi


def _pages_of(size: int) -> None:
    original = GmailApi.list_messages

    async def list_messages(self, **kw):
        kw["max_results"] = size
        return await original(self, **kw)

    GmailApi.list_messages = list_messages


if __name__ == "__main__":
    _pages_of(int(sys.argv[1]))
    cli(args=sys.argv[2:], prog_name="integrations")
