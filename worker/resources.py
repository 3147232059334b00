"""Where the migrations (``sql/``) and the dbt project are: in the installed package, else the checkout.

A wheel carries them as package data under ``worker/_resources/`` (see setup.py); a checkout (the
editable install ``make install`` makes, or plain source) has them at the repository root, as
DESIGN.md lays out. Everything that reads them asks here instead of walking up from ``__file__``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
INSTALLED = PACKAGE_DIR / "_resources"
CHECKOUT = PACKAGE_DIR.parent


def sql_dir() -> Path:
    """The directory of the numbered migrations (``001_*.sql`` ...)."""
    installed = INSTALLED / "sql"
    return installed if installed.is_dir() else CHECKOUT / "sql"


def dbt_project_dir() -> Path:
    """The directory holding ``dbt_project.yml``, ``profiles.yml`` and ``dbt_project/``."""
    installed = INSTALLED / "dbt"
    return installed if (installed / "dbt_project.yml").is_file() else CHECKOUT
