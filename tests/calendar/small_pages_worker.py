"""`integrations worker` with Calendar pages of N events, for tests that SIGKILL it between pages:

    python -m tests.calendar.small_pages_worker N worker --queue default
"""

import sys

from worker.cli import cli
from worker.providers.google.calendar import live

if __name__ == "__main__":
    live.PAGE_SIZE = int(sys.argv[1])
    cli(args=sys.argv[2:], prog_name="integrations")
