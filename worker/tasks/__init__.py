"""Every module that defines tasks, imported so any worker knows every task name."""

from worker.tasks import maintenance  # noqa: F401
