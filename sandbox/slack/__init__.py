"""A local Slack: OAuth v2 (consent, ``oauth.v2.access``, token rotation) and the Web API methods the
Slack provider calls, over plain HTTP, with Slack's rate-limit tiers, errors and faults.

The project's clients are pointed at it with ``INTEGRATIONS_SLACK_*`` (``env()``): the consent page is
``{base}/oauth/v2/authorize``, the Web API ``{base}/api/<method>`` -- slack_sdk's
``WebClient(token, base_url=sb.base_url + "/api/")`` works unchanged.

Python API::

    from sandbox.slack import Sandbox

    sb = Sandbox(seed=0, window_seconds=60.0, limited_history=False, token_rotation=False,
                 access_token_lifetime=43200.0, volatile_block_ids=True)
    sb.start(host="127.0.0.1", port=0); sb.base_url; sb.env(); sb.reset(); sb.stop()
    sb.DEFAULT_TEAM                                      # where an install without ``team`` lands
    sb.add_team(team_id, name=None) -> dict              # id, name, domain, bot_user_id, bot_id
    sb.add_user(team_id, user) -> dict                   # a Slack user object; id generated when missing
    sb.add_channel(team_id, name, *, is_private=False, bot_member=True, members=None) -> dict
    sb.import_message(team_id, channel_id, message) -> dict   # as history returns it; ts when missing
    sb.edit_message(team_id, channel_id, ts, text) -> dict; sb.delete_message(team_id, channel_id, ts)
    sb.set_bot_member(team_id, channel_id, member); sb.archive_channel(team_id, channel_id, archived=True)
    sb.issue_bot_token(team_id, scopes=ALL, user_scopes=()) -> dict    # an oauth.v2.access answer
    sb.revoke_tokens(team_id); sb.expire_access_tokens(team_id); sb.consent_as(team_id)
    sb.messages(team_id, channel_id) -> list[dict]       # stored state incl. replies and tombstones
    sb.users(team_id); sb.channels(team_id)
    sb.set_limited_history(bool); sb.set_window_seconds(float); sb.set_token_rotation(bool)
    sb.set_access_token_lifetime(float); sb.set_volatile_block_ids(bool)
    sb.set_clock_offset(seconds)                         # Slack's clock vs the host's: new ts, Date header
    sb.generate(team_id, channels=5, messages_per_channel=200, users=10, seed=None) -> summary
    sb.event_request(team_id, event) -> (body, headers); sb.deliver_event(url, team_id, event)
    sb.url_verification_request() -> (body, headers, challenge); sb.sign(body) -> headers
    sb.requests(provider="slack", method_id="conversations.history"); sb.add_fault(r"/api/users.list", status=500)

Web API methods: ``auth.test``, ``auth.revoke``, ``oauth.v2.access``, ``conversations.list/.info/
.members/.join/.history/.replies``, ``users.list/.info``, ``chat.postMessage/.update/.delete``.
Admin: ``core.admin`` plus ``admin`` (``/_sandbox/slack/teams/{team_id}/...``).

Modules: ``sandbox`` (the object), ``app`` (pipeline), ``args`` (arguments from query, form,
multipart, JSON), ``call`` (per-call checks), ``oauth``, ``scopes``, ``errors``, ``quota`` (tiers),
``ids`` (ids, ts, cursors), ``workspace`` (teams, channels, threads), ``blocks``, ``messages``
(rendering), ``auth_api``, ``conversations_api``, ``users_api``, ``chat_api``, ``generator``,
``events`` (signed Events API requests), ``admin``, ``cli``.
"""

from .quota import QuotaConfig
from .sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_SIGNING_SECRET, Sandbox
from .scopes import ALL as ALL_SCOPES
from .workspace import DEFAULT_TEAM

__all__ = ["Sandbox", "QuotaConfig", "ALL_SCOPES", "DEFAULT_TEAM", "DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET",
           "DEFAULT_SIGNING_SECRET"]
