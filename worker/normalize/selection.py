"""Which dbt models a staged page affects, so a run after it builds those and nothing else.

Every provider's staging models live in `dbt_project/models/staging/<provider>/` and everything
normalized from them is downstream (`+`): a page of Slack messages needs the Slack staging models,
their intermediates, the unions they feed and the product tables — not Gmail's 17 models and every
data test of the project. The whole project is still built by the periodic run (tests included),
the safety net for anything a selective run leaves out.
"""

from __future__ import annotations

from typing import Iterable

STAGING = "dbt_project/models/staging"
# resource type prefix (`gmail.message` → `gmail`) → the staging folder of its provider
FOLDER = {"gmail": "google", "calendar": "google", "outlook": "microsoft", "slack": "slack", "twilio": "twilio",
          "quickbooks": "quickbooks"}


def folders(resource_types: Iterable[str]) -> list[str] | None:
    """The staging folders of these resource types, sorted; None when one is unknown (build all)."""
    found = set()
    for resource_type in resource_types:
        folder = FOLDER.get(resource_type.partition(".")[0])
        if folder is None:
            return None
        found.add(folder)
    return sorted(found) or None


def selectors(folder_names: Iterable[str]) -> list[str]:
    """dbt `--select` arguments: each folder's models and everything downstream of them."""
    return [f"path:{STAGING}/{name}+" for name in folder_names]
