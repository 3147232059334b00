"""Every task, known to any worker at start: this package's modules and every provider's Blueprint.

A worker imports only `worker.app` and this package (the app's import path). A job whose task it
does not know fails with TaskNotFound, so nothing is listed by hand: every module of this package
is imported, and every provider in the registry has its Blueprint bound under its namespace.
tests/foundation checks that nothing defining a task is left out.
"""

from __future__ import annotations

import importlib
import pkgutil

from worker.tasks.dispatch import bind_all


def task_modules() -> list[str]:
    """Dotted names of this package's modules (the providers' tasks come with their Blueprints)."""
    return [f"{__name__}.{info.name}" for info in pkgutil.iter_modules(__path__)]


for _module in task_modules():
    importlib.import_module(_module)
bind_all()
