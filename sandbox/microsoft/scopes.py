"""Graph permission names and which ones each kind of call needs.

A scope without a resource URI means Graph: ``Mail.Read`` and ``https://graph.microsoft.com/Mail.Read``
are the same grant, so every scope is kept in its short form. The OpenID scopes (``openid``,
``profile``, ``email``, ``offline_access``) shape the token response and grant no API access.
"""

from __future__ import annotations

GRAPH_RESOURCE = "https://graph.microsoft.com/"
OIDC = frozenset({"openid", "profile", "email", "offline_access"})

MAIL_READ = frozenset({"Mail.Read", "Mail.ReadWrite"})
MAIL_READ_BASIC = MAIL_READ | {"Mail.ReadBasic"}
MAIL_WRITE = frozenset({"Mail.ReadWrite"})
MAIL_SEND = frozenset({"Mail.Send"})
CALENDAR_READ = frozenset({"Calendars.Read", "Calendars.ReadWrite"})
CALENDAR_WRITE = frozenset({"Calendars.ReadWrite"})
ANY = frozenset()  # any valid token (``/me``: User.Read is implied by every consent)

ALL = ["User.Read", "Mail.ReadWrite", "Mail.Send", "Calendars.ReadWrite", "offline_access", "openid", "profile"]


def short(scope: str) -> str:
    """``https://graph.microsoft.com/Mail.Read`` -> ``Mail.Read``; ``.default`` means every Graph scope."""
    if scope.lower().startswith(GRAPH_RESOURCE):
        scope = scope[len(GRAPH_RESOURCE):]
    return scope


def normalize(scopes) -> frozenset[str]:
    return frozenset(short(s) for s in scopes if s)


def has_full_mail_read(scopes) -> bool:
    return bool(MAIL_READ & set(scopes))
