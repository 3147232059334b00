"""``integrations sandbox ...`` (and ``python -m sandbox ...``): the provider sandboxes' commands.

``serve`` runs the Google sandbox; a later provider adds its own command here (e.g.
``serve-microsoft``, from ``sandbox.microsoft.cli``).
"""

from __future__ import annotations

import click

from .google.cli import serve


@click.group(name="sandbox")
def sandbox() -> None:
    """The local Google (OAuth, Gmail v1, Calendar v3) the demo and tests run against.

    \b
    Example:
      integrations sandbox serve --port 8765 --users ana@acme.test,ben@acme.test --print-env
    """


sandbox.add_command(serve)
