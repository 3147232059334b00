"""The consent screen a person sees, for the sandboxes' authorization endpoints.

By default a sandbox consents at once (the CLI and HTTP tests need no browser). With the
``consent_page`` knob on (``sb.show_consent_page(True)``, ``PUT /_sandbox/oauth {"consent_page": true}``)
the authorization endpoint first answers this page instead, as the provider would: it names the
app, the account and the permissions asked for, and its Allow / Cancel buttons submit the same
request again with the person's decision. Cancel comes back to the app as ``error=access_denied``,
the code every provider here sends for a refused consent. A browser test clicks through it.
"""

from __future__ import annotations

from html import escape

from .wire import Request, Response

DECISION = "sandbox_consent"  # the form field carrying the person's choice: allow | deny


def ask(req: Request, tokens, *, provider: str, account: str, permissions, refused) -> Response | None:
    """What the authorization endpoint answers before it grants: None (consent given, at once when
    the knob is off), the consent page, or `refused()` (the app's redirect with access_denied)."""
    if not tokens.consent_page:
        return None
    if req.param(DECISION) is None:
        return consent_page(req, provider=provider, account=account, permissions=sorted(permissions))
    return refused() if req.param(DECISION) == "deny" else None


def consent_page(req: Request, *, provider: str, account: str, permissions: list[str]) -> Response:
    """The page itself: the request's own parameters resubmitted with the person's decision."""
    hidden = "".join(f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
                     for name, values in req.query.items() if name != DECISION for value in values)
    asked = "".join(f"<li>{escape(p)}</li>" for p in permissions)
    html = (f"<!doctype html><html lang=en><meta charset=utf-8><title>Sign in - {escape(provider)}</title>"
            f"<h1>An app wants to access your {escape(provider)} account</h1>"
            f'<p>Signed in as <b id="account">{escape(account)}</b></p>'
            f'<p>It asks to:</p><ul id="permissions">{asked}</ul>'
            f'<form method="get" action="{escape(req.path)}">{hidden}'
            f'<button type="submit" name="{DECISION}" value="deny">Cancel</button> '
            f'<button type="submit" name="{DECISION}" value="allow">Allow</button></form></html>')
    return Response(200, html.encode(), [("Content-Type", "text/html; charset=utf-8"),
                                         ("Cache-Control", "no-store")])
