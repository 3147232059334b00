"""The sandbox, loaded at run time only where it is installed.

``worker`` is the product and never imports ``sandbox`` statically (a test scans for it): the
sandbox is a separate distribution (``integrations-sandbox``) that production installs leave out.
Only ``integrations sandbox ...`` and ``integrations demo`` need it, and they load it through here.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from worker.errors import IntegrationsError

INSTALL_HINT = "pip install -e ./sandbox (from a checkout; `make install` does it)"


class SandboxNotInstalled(IntegrationsError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} needs the sandbox package (integrations-sandbox), which is not installed: "
                         f"{INSTALL_HINT}")


def load_sandbox(module: str, what: str) -> ModuleType:
    """``importlib.import_module(module)`` for a ``sandbox`` module, or ``SandboxNotInstalled``
    (exit 1) naming `what` needed it. A missing module *inside* an installed sandbox still raises."""
    if module != "sandbox" and not module.startswith("sandbox."):
        raise ValueError(f"{module!r} is not a sandbox module")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name == "sandbox":
            raise SandboxNotInstalled(what) from None
        raise
