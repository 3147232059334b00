"""Slack's OAuth v2 for one registered app: the consent page, ``oauth.v2.access``, token rotation,
and who is calling (``authenticate``), on the core ``TokenStore``.

``GET /oauth/v2/authorize`` consents at once, as the Google and Microsoft sandboxes do, and redirects
to ``redirect_uri`` with ``code`` and ``state``: the app is installed into the workspace named by
``team`` (created when unknown; ``consent_as`` overrides it), else the sandbox's default workspace.
``POST /api/oauth.v2.access`` exchanges the code (client id and secret as HTTP Basic or form fields,
PKCE ``code_verifier`` when a challenge was sent) for a bot token ``xoxb-...``; with token rotation
on, the access token (``xoxe.xoxb-...``) expires after ``access_token_lifetime`` seconds (12 h) and
comes with a refresh token (``xoxe-1-...``); ``grant_type=refresh_token`` answers a new pair and
revokes the refresh token it used. With ``reinstall_keeps_bot_token`` (a sandbox setting) a later
install into a workspace holding a live non-rotating bot token answers that same token, its scopes
widened, as Slack does for a reinstall.

A token's account in the core store is its workspace (team id). Failures are Slack's:
``not_authed`` (no token), ``invalid_auth`` (unknown), ``token_revoked``, ``token_expired``; the
token endpoint answers ``invalid_client_id``, ``bad_client_secret``, ``invalid_code``,
``bad_redirect_uri``, ``invalid_refresh_token``, ``invalid_grant_type``.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from ..core.consent import ask
from ..core.tokens import AccessToken, Grant, RefreshToken, TokenStore, client_credentials, pkce_s256
from ..core.wire import Request, Response
from . import scopes as slack_scopes
from .args import Args
from .errors import SlackError
from .workspace import APP_ID, DEFAULT_TEAM, World

CODE_LIFETIME = 600.0
NEVER = 10 * 365 * 86400.0  # tokens without rotation do not expire


@dataclass
class Caller:
    """Who a live token speaks for."""

    token: str
    team_id: str
    scopes: frozenset[str]
    kind: str  # "bot" or "user"
    user_id: str


@dataclass
class AuthCode:
    team_id: str
    scopes: frozenset[str]
    user_scopes: frozenset[str]
    redirect_uri: str | None
    challenge: str | None
    challenge_method: str | None
    expires_at: float


class SlackOAuth:
    """``settings()`` returns the sandbox's current ``(token_rotation, access_token_lifetime)``."""

    def __init__(self, tokens: TokenStore, world: World, settings, clock=time.monotonic,
                 keeps_bot_token=lambda: False) -> None:
        self.tokens = tokens
        self.world = world
        self.settings = settings
        self.keeps_bot_token = keeps_bot_token  # () -> bool: a reinstall answers the live bot token
        self.clock = clock
        self.codes: dict[str, AuthCode] = {}
        self.kinds: dict[str, tuple[str, str]] = {}  # access token -> (kind, user id)
        self.revoked: set[str] = set()  # access tokens taken back (later calls: token_revoked)

    # -- who is calling ----------------------------------------------------------------------
    def authenticate(self, token: str | None) -> Caller:
        if not token:
            raise SlackError("not_authed")
        if token in self.revoked:
            raise SlackError("token_revoked")
        access = self.tokens.access_tokens.get(token)
        if access is None:
            raise SlackError("invalid_auth")
        if access.expires_at <= self.clock():
            raise SlackError("token_expired")
        kind, user_id = self.kinds.get(token, ("bot", ""))
        return Caller(token, access.grant.email, access.grant.scopes, kind, user_id)

    # -- issuing -----------------------------------------------------------------------------
    def install(self, team_id: str, scopes, user_scopes=(), rotation: bool | None = None) -> dict:
        """The ``oauth.v2.access`` answer for a new install of the app into `team_id`."""
        team = self.world.team(team_id)
        rotate, lifetime = self.settings()
        if rotation is not None:
            rotate = rotation
        grant = Grant(self.tokens.client_id, team.id, frozenset(scopes))
        self.tokens.grant_scopes(grant)
        answer = {"ok": True, "app_id": APP_ID, "authed_user": {"id": team.installer()}}
        kept = self._live_bot_token(team.id) if scopes and not rotate and self.keeps_bot_token() else None
        if kept is not None:
            grant = Grant(self.tokens.client_id, team.id, frozenset(scopes) | kept[1].grant.scopes)
            kept[1].grant = grant  # the install's scopes are added to the token it already has
            answer.update(access_token=kept[0], token_type="bot", scope=",".join(sorted(grant.scopes)))
            answer["bot_user_id"] = team.bot_user_id
        elif scopes:
            answer.update(self._pair(grant, "bot", team.bot_user_id, rotate, lifetime))
            answer["bot_user_id"] = team.bot_user_id
        if user_scopes:
            user_grant = Grant(self.tokens.client_id, team.id, frozenset(user_scopes))
            pair = self._pair(user_grant, "user", team.installer(), rotate, lifetime)
            answer["authed_user"].update({k: v for k, v in pair.items() if k != "token_type"},
                                         token_type="user")
        answer.update(team={"id": team.id, "name": team.name}, enterprise=None, is_enterprise_install=False)
        return answer

    def _live_bot_token(self, team_id: str):
        """(token, record) of a live, non-rotating bot token of `team_id`, or None."""
        for token, access in self.tokens.access_tokens.items():
            if access.grant.email == team_id and access.refresh_token is None and token not in self.revoked \
                    and self.kinds.get(token, ("bot", ""))[0] == "bot":
                return token, access
        return None

    def _pair(self, grant: Grant, kind: str, user_id: str, rotate: bool, lifetime: float) -> dict:
        letter = "b" if kind == "bot" else "p"
        if rotate:
            token = f"xoxe.xox{letter}-1-{secrets.token_urlsafe(30)}"
            refresh = f"xoxe-1-{secrets.token_urlsafe(40)}"
            self.tokens.refresh_tokens[refresh] = RefreshToken(grant)
        else:
            token = f"xox{letter}-{secrets.randbelow(10**12):012d}-{secrets.randbelow(10**13):013d}-" \
                    f"{secrets.token_hex(12)}"
            refresh = None
        self.tokens.access_tokens[token] = AccessToken(grant, self.clock() + (lifetime if rotate else NEVER), refresh)
        self.kinds[token] = (kind, user_id)
        if refresh:
            self.kinds[refresh] = (kind, user_id)
        pair = {"access_token": token, "token_type": kind, "scope": ",".join(sorted(grant.scopes))}
        if rotate:
            pair.update(refresh_token=refresh, expires_in=max(int(round(lifetime)), 0))
        return pair

    # -- taking back -------------------------------------------------------------------------
    def revoke(self, token: str) -> bool:
        """Revoke one access token (and the refresh token it came with)."""
        access = self.tokens.access_tokens.pop(token, None)
        if access is None:
            return False
        self.revoked.add(token)
        if access.refresh_token and access.refresh_token in self.tokens.refresh_tokens:
            self.tokens.refresh_tokens[access.refresh_token].revoked = True
        return True

    def revoke_team(self, team_id: str | None = None, refresh_token: str | None = None) -> int:
        """Revoke every token of `team_id` (the app uninstalled), or one refresh token and its access tokens."""
        doomed = [t for t, a in self.tokens.access_tokens.items()
                  if (team_id is not None and a.grant.email == team_id)
                  or (refresh_token is not None and a.refresh_token == refresh_token)]
        self.revoked.update(doomed)
        self.tokens.revoke_account(team_id, refresh_token)
        return len(doomed)

    def expire(self, team_id: str | None = None) -> int:
        return self.tokens.expire_access_tokens(team_id)

    # -- GET /oauth/v2/authorize ---------------------------------------------------------------
    def authorize(self, req: Request) -> Response:
        client_id = req.param("client_id")
        if client_id != self.tokens.client_id:
            return _page(400, "invalid_client_id: this app is not installed or the client_id is wrong.")
        redirect_uri = req.param("redirect_uri")
        if not redirect_uri:
            return _page(400, "bad_redirect_uri: the app has no redirect URL; pass redirect_uri.")
        state = req.param("state")
        bot_scopes = slack_scopes.split(req.param("scope"))
        user_scopes = slack_scopes.split(req.param("user_scope"))
        if not bot_scopes and not user_scopes:
            return Response.redirect(_with_query(redirect_uri, error="invalid_scope", state=state))
        challenge, method = req.param("code_challenge"), req.param("code_challenge_method")
        if challenge and (method or "plain") not in ("S256", "plain"):
            return Response.redirect(_with_query(redirect_uri, error="invalid_request", state=state))
        team_id = self.tokens.consent_as or req.param("team") or DEFAULT_TEAM
        asked = ask(req, self.tokens, provider="Slack", account=f"workspace {team_id}",
                    permissions=[*bot_scopes, *(f"{s} (as you)" for s in user_scopes)],
                    refused=lambda: Response.redirect(_with_query(redirect_uri, error="access_denied", state=state)))
        if asked is not None:
            return asked
        self.world.team(team_id)
        code = f"{secrets.randbelow(10**12)}.{secrets.randbelow(10**12)}.{secrets.token_hex(32)}"
        self.codes[code] = AuthCode(team_id, frozenset(bot_scopes), frozenset(user_scopes), redirect_uri, challenge,
                                    (method or "plain") if challenge else None, self.clock() + CODE_LIFETIME)
        return Response.redirect(_with_query(redirect_uri, code=code, state=state))

    # -- POST /api/oauth.v2.access -------------------------------------------------------------
    def access(self, req: Request, args: Args) -> dict:
        client_id, secret = client_credentials(req.headers.get("authorization"),
                                               {k: v for k, v in args.items() if isinstance(v, str)})
        if not client_id or client_id != self.tokens.client_id:
            raise SlackError("invalid_client_id")
        if secret != self.tokens.client_secret:
            raise SlackError("bad_client_secret")
        grant_type = args.text("grant_type", "authorization_code")
        if grant_type == "authorization_code":
            return self._exchange_code(args)
        if grant_type == "refresh_token":
            return self._refresh(args)
        raise SlackError("invalid_grant_type")

    def _exchange_code(self, args: Args) -> dict:
        record = self.codes.pop(args.text("code") or "", None)
        if record is None or record.expires_at <= self.clock():
            raise SlackError("invalid_code")
        if record.redirect_uri and args.text("redirect_uri") != record.redirect_uri:
            raise SlackError("bad_redirect_uri")  # sent to authorize: it must come back, the same
        if record.challenge:
            verifier = args.text("code_verifier")
            expected = (pkce_s256(verifier) if record.challenge_method == "S256" else verifier) if verifier else None
            if expected != record.challenge:
                raise SlackError("invalid_code_verifier")
        return self.install(record.team_id, record.scopes, record.user_scopes)

    def _refresh(self, args: Args) -> dict:
        token = args.text("refresh_token") or ""
        record = self.tokens.refresh_tokens.get(token)
        if record is None or record.revoked:
            raise SlackError("invalid_refresh_token")
        record.revoked = True  # rotation: a refresh token is good for one exchange
        _, lifetime = self.settings()
        kind, user_id = self.kinds.get(token, ("bot", ""))
        team = self.world.team(record.grant.email)
        answer = {"ok": True, "app_id": APP_ID, "authed_user": {"id": team.installer()}}
        answer.update(self._pair(record.grant, kind, user_id, True, lifetime))
        if kind == "bot":
            answer["bot_user_id"] = team.bot_user_id
        answer.update(team={"id": team.id, "name": team.name}, enterprise=None, is_enterprise_install=False)
        return answer


def _page(status: int, text: str) -> Response:
    return Response(status, text.encode(), [("Content-Type", "text/plain; charset=utf-8")])


def _with_query(url: str, **params) -> str:
    parts = urlsplit(url)
    extra = urlencode({k: v for k, v in params.items() if v is not None})
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))
