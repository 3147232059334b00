"""OAuth v2 against the sandbox, driven by slack_sdk: consent (followed like a browser that agrees at
once), ``oauth.v2.access`` with PKCE, token rotation, revocation and expiry as Slack words them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.core.tokens import pkce_s256

REDIRECT = "http://127.0.0.1:8400/oauth/slack/callback"
SCOPES = "channels:read,channels:history,users:read"


def consent(sb, **params) -> dict:
    """Follow the authorize URL like a browser that agrees at once; the redirect's query."""
    query = {"client_id": sb.client_id, "scope": SCOPES, "state": "s-1", "redirect_uri": REDIRECT, **params}
    answer = httpx.get(f"{sb.base_url}/oauth/v2/authorize?{urlencode(query)}", follow_redirects=False)
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


def client(sb, token=None) -> WebClient:
    return WebClient(token=token, base_url=sb.base_url + "/api/")


def test_consent_then_oauth_v2_access_installs_a_bot_into_the_default_workspace(slack_sandbox):
    sb = slack_sandbox
    query = consent(sb)
    assert query["state"] == "s-1"
    install = client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret,
                                         code=query["code"], redirect_uri=REDIRECT)
    assert install["ok"] and install["token_type"] == "bot" and install["access_token"].startswith("xoxb-")
    assert install["team"]["id"] == sb.DEFAULT_TEAM and install["enterprise"] is None
    assert set(install["scope"].split(",")) == set(SCOPES.split(","))
    assert "refresh_token" not in install and "expires_in" not in install
    me = client(sb, install["access_token"]).auth_test()
    assert me["team_id"] == sb.DEFAULT_TEAM and me["user_id"] == install["bot_user_id"]
    entry = sb.requests(method_id="oauth.v2.access")[0]
    assert entry["provider"] == "slack" and entry["path"] == "/api/oauth.v2.access"


def test_team_parameter_picks_the_workspace_and_unknown_teams_are_created(slack_sandbox):
    sb = slack_sandbox
    query = consent(sb, team="T0OTHERTEAM")
    install = client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret,
                                         code=query["code"], redirect_uri=REDIRECT)
    assert install["team"]["id"] == "T0OTHERTEAM"
    assert "T0OTHERTEAM" in sb.accounts()


def test_consent_as_overrides_the_team_of_the_url(slack_sandbox):
    sb = slack_sandbox
    sb.consent_as("T0CHOSEN000")
    query = consent(sb, team="T0INURL0000")
    install = client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret,
                                         code=query["code"], redirect_uri=REDIRECT)
    assert install["team"]["id"] == "T0CHOSEN000"


def test_pkce_verifier_must_match_the_challenge(slack_sandbox):
    sb = slack_sandbox
    verifier = "v" * 50
    query = consent(sb, code_challenge=pkce_s256(verifier), code_challenge_method="S256")
    with pytest.raises(SlackApiError) as failed:
        client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret, code=query["code"],
                                   redirect_uri=REDIRECT, code_verifier="w" * 50)
    assert failed.value.response["error"] == "invalid_code_verifier"
    query = consent(sb, code_challenge=pkce_s256(verifier), code_challenge_method="S256")
    install = client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret,
                                         code=query["code"], redirect_uri=REDIRECT, code_verifier=verifier)
    assert install["ok"]


def test_a_code_is_good_once_and_the_client_secret_is_checked(slack_sandbox):
    sb = slack_sandbox
    query = consent(sb)
    web = client(sb)
    with pytest.raises(SlackApiError) as failed:
        web.oauth_v2_access(client_id=sb.client_id, client_secret="wrong", code=query["code"], redirect_uri=REDIRECT)
    assert failed.value.response["error"] == "bad_client_secret"
    web.oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret, code=query["code"],
                        redirect_uri=REDIRECT)
    with pytest.raises(SlackApiError) as failed:
        web.oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret, code=query["code"],
                            redirect_uri=REDIRECT)
    assert failed.value.response["error"] == "invalid_code"


@pytest.mark.parametrize("redirect_uri", [None, "http://127.0.0.1:9999/elsewhere"])
def test_the_redirect_uri_sent_to_authorize_must_come_back(slack_sandbox, redirect_uri):
    sb = slack_sandbox
    query = consent(sb)
    with pytest.raises(SlackApiError) as failed:
        client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret, code=query["code"],
                                   redirect_uri=redirect_uri)
    assert failed.value.response["error"] == "bad_redirect_uri"


def test_form_fields_work_as_well_as_http_basic(slack_sandbox):
    sb = slack_sandbox
    query = consent(sb)
    answer = httpx.post(f"{sb.base_url}/api/oauth.v2.access",
                        data={"code": query["code"], "client_id": sb.client_id, "client_secret": sb.client_secret,
                              "redirect_uri": REDIRECT}).json()
    assert answer["ok"] and answer["access_token"].startswith("xoxb-")


def test_token_rotation_refresh_returns_a_new_pair_and_revokes_the_used_refresh_token(slack_sandbox):
    sb = slack_sandbox
    sb.set_token_rotation(True)
    sb.set_access_token_lifetime(3600)
    query = consent(sb)
    install = client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret, code=query["code"],
                                         redirect_uri=REDIRECT)
    assert install["access_token"].startswith("xoxe.xoxb-") and install["refresh_token"].startswith("xoxe-1-")
    assert install["expires_in"] == 3600
    refreshed = client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret,
                                           grant_type="refresh_token", refresh_token=install["refresh_token"])
    assert refreshed["access_token"] != install["access_token"]
    assert refreshed["refresh_token"] != install["refresh_token"] and refreshed["team"]["id"] == sb.DEFAULT_TEAM
    with pytest.raises(SlackApiError) as failed:
        client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret,
                                   grant_type="refresh_token", refresh_token=install["refresh_token"])
    assert failed.value.response["error"] == "invalid_refresh_token"
    assert client(sb, refreshed["access_token"]).auth_test()["ok"]


def test_an_expired_access_token_answers_token_expired(slack_sandbox):
    sb = slack_sandbox
    sb.set_token_rotation(True)
    install = sb.issue_bot_token(sb.DEFAULT_TEAM, ["channels:read"])
    assert install["expires_in"] == 43200
    assert sb.expire_access_tokens(sb.DEFAULT_TEAM) == 1
    with pytest.raises(SlackApiError) as failed:
        client(sb, install["access_token"]).auth_test()
    assert failed.value.response["error"] == "token_expired"


def test_auth_revoke_then_every_call_answers_token_revoked(slack_sandbox):
    sb = slack_sandbox
    token = sb.issue_bot_token(sb.DEFAULT_TEAM, ["channels:read"])["access_token"]
    web = client(sb, token)
    assert web.auth_revoke(test=True)["revoked"] is False
    assert web.auth_test()["ok"]
    assert web.auth_revoke()["revoked"] is True
    with pytest.raises(SlackApiError) as failed:
        web.conversations_list()
    assert failed.value.response["error"] == "token_revoked"


def test_uninstall_revokes_every_token_of_the_workspace_only(slack_sandbox):
    sb = slack_sandbox
    mine = sb.issue_bot_token(sb.DEFAULT_TEAM, ["channels:read"])["access_token"]
    other = sb.issue_bot_token("T0ELSEWHERE", ["channels:read"])["access_token"]
    assert sb.revoke_tokens(sb.DEFAULT_TEAM) == 1
    with pytest.raises(SlackApiError) as failed:
        client(sb, mine).auth_test()
    assert failed.value.response["error"] == "token_revoked"
    assert client(sb, other).auth_test()["team_id"] == "T0ELSEWHERE"


@pytest.mark.parametrize("token, error", [(None, "not_authed"), ("xoxb-not-a-token", "invalid_auth")])
def test_missing_or_unknown_tokens(slack_sandbox, token, error):
    with pytest.raises(SlackApiError) as failed:
        client(slack_sandbox, token).auth_test()
    assert failed.value.response["error"] == error
    assert failed.value.response.status_code == 200


def test_authorize_with_an_unknown_client_id_is_an_error_page(slack_sandbox):
    answer = httpx.get(f"{slack_sandbox.base_url}/oauth/v2/authorize",
                       params={"client_id": "nope", "scope": SCOPES, "redirect_uri": REDIRECT})
    assert answer.status_code == 400 and "invalid_client_id" in answer.text


def test_slack_sdk_authorize_url_generator_consents_with_user_scopes(slack_sandbox):
    from slack_sdk.oauth import AuthorizeUrlGenerator

    sb = slack_sandbox
    url = AuthorizeUrlGenerator(client_id=sb.client_id, redirect_uri=REDIRECT, scopes=["channels:read", "chat:write"],
                                user_scopes=["search:read"],
                                authorization_url=f"{sb.base_url}/oauth/v2/authorize").generate(state="st")
    answer = httpx.get(url, follow_redirects=False)
    query = {k: v[-1] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    install = client(sb).oauth_v2_access(client_id=sb.client_id, client_secret=sb.client_secret, code=query["code"],
                                         redirect_uri=REDIRECT)
    assert install["scope"] == "channels:read,chat:write"
    user = install["authed_user"]
    assert user["token_type"] == "user" and user["scope"] == "search:read" and user["access_token"].startswith("xoxp-")
    me = client(sb, user["access_token"]).auth_test()
    assert me["user_id"] == user["id"] and "bot_id" not in me


def test_slack_sdk_token_rotator_refreshes_an_expiring_bot_token(slack_sandbox):
    from slack_sdk.oauth.installation_store import Bot
    from slack_sdk.oauth.token_rotation import TokenRotator

    sb = slack_sandbox
    sb.set_token_rotation(True)
    sb.set_access_token_lifetime(3600)  # less than the 120 minutes before expiry at which slack_sdk rotates
    install = sb.issue_bot_token(sb.DEFAULT_TEAM, ["channels:read"])
    bot = Bot(app_id=install["app_id"], team_id=install["team"]["id"], bot_token=install["access_token"],
              bot_id="B0", bot_user_id=install["bot_user_id"], bot_scopes=install["scope"],
              bot_refresh_token=install["refresh_token"], bot_token_expires_in=install["expires_in"],
              installed_at=1_700_000_000.0)
    rotator = TokenRotator(client_id=sb.client_id, client_secret=sb.client_secret, client=client(sb))
    rotated = rotator.perform_bot_token_rotation(bot=bot)
    assert rotated is not None and rotated.bot_token != install["access_token"]
    assert rotated.bot_refresh_token != install["refresh_token"]
    assert client(sb, rotated.bot_token).auth_test()["team_id"] == sb.DEFAULT_TEAM
    assert sb.requests(method_id="oauth.v2.access")[-1]["user"] == sb.DEFAULT_TEAM
