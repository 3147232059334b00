"""Every module that defines tasks, imported so any worker knows every task name at start.

A worker imports only `worker.app` and this package (the app's import path). A job whose task
module it missed fails with TaskNotFound, so the modules are found rather than listed: every module
of this package, and every provider's `tasks` module or `*_tasks` module. A new provider's tasks are
registered by naming its module that way; tests/foundation checks that nothing defining a task is
left out.
"""

from __future__ import annotations

import importlib
import pkgutil

import worker.providers


def task_modules() -> list[str]:
    """Dotted names of every task module, this package's own first."""
    own = [f"{__name__}.{info.name}" for info in pkgutil.iter_modules(__path__)]
    providers = [info.name for info in pkgutil.walk_packages(worker.providers.__path__, worker.providers.__name__ + ".")
                 if info.name.rpartition(".")[2] == "tasks" or info.name.endswith("_tasks")]
    return own + sorted(providers)


for _module in task_modules():
    importlib.import_module(_module)
