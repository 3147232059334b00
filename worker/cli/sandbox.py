"""`integrations sandbox ...`: the commands of the separately installed `sandbox` package.

The group is a stand-in resolved at run time (`worker.optional`), so `worker` never imports the
sandbox and a production install without it still starts: there `integrations sandbox serve`
fails with exit 1 and says what to install.
"""

from __future__ import annotations

import click

from worker.optional import SandboxNotInstalled, load_sandbox


def _group() -> click.Group:
    return load_sandbox("sandbox.cli", "`integrations sandbox`").sandbox


class SandboxGroup(click.Group):
    def list_commands(self, ctx) -> list[str]:
        try:
            return _group().list_commands(ctx)
        except SandboxNotInstalled:
            return []

    def get_command(self, ctx, name):
        return _group().get_command(ctx, name)


@click.group(name="sandbox", cls=SandboxGroup)
def sandbox() -> None:
    """The local Google (OAuth, Gmail v1, Calendar v3) the demo and tests run against.

    Needs the sandbox package (`pip install -e ./sandbox`; `make install` does it).

    \b
    Example:
      integrations sandbox serve --port 8765 --users ana@acme.test,ben@acme.test --print-env
    """
