"""``integrations sandbox ...`` (and ``python -m sandbox ...``): the provider sandboxes' commands.

``serve`` runs the Google sandbox (its options, ``sandbox.google.cli``) and the Microsoft 365
sandbox beside it on its own HTTPS port (``--microsoft-port``), both with the generated ``--users``,
and the Slack sandbox on its own HTTP port (``--slack-port``; ``--users`` become people of its default
workspace), the Twilio sandbox (``--twilio-port``) and the QuickBooks Online sandbox
(``--quickbooks-port``; with ``--users`` a generated company); ``--print-env`` prints Google's
settings, then Microsoft's, Slack's, Twilio's and QuickBooks's. With ``--public-url`` Slack, Twilio
and QuickBooks deliver their webhooks to ``integrations serve`` there.
"""

from __future__ import annotations

import click

from .core.cli import companions
from .google.cli import PUBLIC_URL_META
from .google.cli import serve as google_serve


@click.group(name="sandbox")
def sandbox() -> None:
    """The local Google (OAuth, Gmail v1, Calendar v3), Microsoft 365 (Entra ID, Graph mail and
    calendars over HTTPS), Slack (OAuth v2, Web API), Twilio (REST API) and QuickBooks Online (Intuit
    OAuth 2, Accounting API v3) the demo and tests run against.

    \\b
    Example:
      integrations sandbox serve --port 8765 --users ana@acme.test,ben@acme.test --print-env
    """


@click.command(name="serve", params=[
    *google_serve.params,
    click.Option(["--microsoft-port"], default=0, show_default=True, type=int,
                 help="Port of the Microsoft 365 sandbox (HTTPS; 0 picks a free one)."),
    click.Option(["--slack-port"], default=0, show_default=True, type=int,
                 help="Port of the Slack sandbox (HTTP; 0 picks a free one)."),
    click.Option(["--twilio-port"], default=0, show_default=True, type=int,
                 help="Port of the Twilio sandbox (HTTP; 0 picks a free one)."),
    click.Option(["--quickbooks-port"], default=0, show_default=True, type=int,
                 help="Port of the QuickBooks Online sandbox (HTTP; 0 picks a free one)."),
    click.Option(["--public-url"], default=None,
                 help="Where `integrations serve` listens: Slack, Twilio, QuickBooks and Microsoft deliver their webhooks"
                      " there (printed as INTEGRATIONS_PUBLIC_URL)."),
])
@click.pass_context
def serve(ctx, microsoft_port, slack_port, **options) -> None:
    from .microsoft.cli import banner, start
    from .quickbooks.cli import companion as quickbooks_companion
    from .slack import cli as slack_cli
    from .twilio.cli import companion as twilio_companion

    users = [u.strip() for u in options["users"].split(",") if u.strip()]
    microsoft = start(options["host"], microsoft_port, options["seed"], users, options["messages"], options["events"])
    companions().append((microsoft, lambda: banner(microsoft)))
    try:
        slack = slack_cli.start(options["host"], slack_port, options["seed"], users, options["messages"])
    except click.ClickException:
        microsoft.stop()
        raise
    companions().append((slack, lambda: slack_cli.banner(slack)))
    twilio = twilio_companion(options.pop("twilio_port"), options, bool(users))
    quickbooks = quickbooks_companion(options.pop("quickbooks_port"), options, bool(users))
    public_url = options.pop("public_url")
    if public_url:
        for each in (slack, twilio, quickbooks, microsoft):
            each.set_public_url(public_url)
    ctx.meta[PUBLIC_URL_META] = public_url  # Google's sandbox is made inside google_serve
    ctx.invoke(google_serve, **options)


serve.help = google_serve.help
sandbox.add_command(serve)
