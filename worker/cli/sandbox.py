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
    """Its subcommands are the installed sandbox's (none when it is missing); running one
    without the sandbox raises ``SandboxNotInstalled`` (exit 1, what to install)."""

    @property
    def commands(self) -> dict[str, click.Command]:
        try:
            return _group().commands
        except SandboxNotInstalled:
            return {}

    @commands.setter
    def commands(self, value) -> None:
        pass  # click.Group.__init__ sets an empty dict; the commands are always the sandbox's

    def get_command(self, ctx, name):
        return _group().get_command(ctx, name)


@click.group(name="sandbox", cls=SandboxGroup)
def sandbox() -> None:
    """Local emulators of Google (OAuth, Gmail v1, Calendar v3), Microsoft 365 (identity platform,
    Graph mail and calendar), Slack, Twilio and QuickBooks Online, which the demo and tests run against.

    Needs the sandbox package (`pip install -e ./sandbox`; `make install` does it).

    \b
    Example:
      integrations sandbox serve --port 8765 --users ana@acme.test,ben@acme.test --print-env
    """
