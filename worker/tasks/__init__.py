"""Every module that defines tasks, imported so any worker knows every task name."""

from worker.tasks import maintenance  # noqa: F401
from worker.providers.google import tasks as google_tasks  # noqa: F401,E402
from worker.providers.google import calendar_tasks  # noqa: F401,E402
from worker.tasks import reconcile  # noqa: F401,E402
